import { z } from 'zod'
import { ConsentChannel, ConsentPurpose, ConsentStatus, IdentityKind } from '../customers/index.js'

const EventName = z.string().trim().min(1).max(200)
const Days = z.number().int().min(1).max(3650)
const Scalar = z.union([z.string().max(500), z.number(), z.boolean()])

/** Where a value sits in a fact: its channel, time, name or a property path. */
export const FactPath = z
  .string()
  .regex(/^(channel|occurredAt|name|properties(\.[A-Za-z0-9_$-]{1,64}){1,6})$/, 'must be channel, occurredAt, name or properties.<key>[.<key>…]')

/** A test on one value of a fact; the value's shape must suit the operator. */
const Filter = z
  .strictObject({
    path: FactPath,
    op: z.enum(['eq', 'neq', 'in', 'exists']),
    value: z.union([Scalar, z.array(Scalar).min(1).max(100)]).optional(),
  })
  .superRefine((f, ctx) => {
    const v = f.value
    if (f.op === 'exists' && v !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be absent for exists' })
    if (f.op === 'in' && !Array.isArray(v)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a list for in' })
    if ((f.op === 'eq' || f.op === 'neq') && (v === undefined || Array.isArray(v))) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a string, number or boolean' })
    }
  })
export type Filter = z.infer<typeof Filter>
const PropertyFilter = Filter.refine((f) => f.path.startsWith('properties.'), { path: ['path'], message: 'must be properties.<key>[.<key>…]' })

// Rules are a closed union, validated with exact paths (`rule.rules.1.atLeast`).
const TraitRule = z
  .strictObject({
    type: z.literal('trait'),
    name: z.string().min(1).max(80),
    path: z.array(z.string().min(1).max(64)).max(4).optional().describe('Into an object value: rfm → ["recency"]'),
    op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'withinDays', 'notWithinDays']),
    value: z.union([Scalar, z.array(Scalar).min(1).max(100)]).optional(),
  })
  .superRefine((r, ctx) => {
    const needs = r.op === 'exists' ? 'none' : r.op === 'in' ? 'list' : r.op.endsWith('Days') ? 'days' : 'scalar'
    const v = r.value
    const ok =
      needs === 'none' ? v === undefined
      : needs === 'list' ? Array.isArray(v)
      : needs === 'days' ? typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 3650
      : v !== undefined && !Array.isArray(v)
    const message = { none: 'must be absent for exists', list: 'must be a list for in', days: 'must be a whole number of days (1–3650)', scalar: 'must be a string, number or boolean' }
    if (!ok) ctx.addIssue({ code: 'custom', path: ['value'], message: message[needs] })
    if (['gt', 'gte', 'lt', 'lte'].includes(r.op) && typeof v === 'boolean') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'cannot order booleans' })
    }
  })
const IdentityRule = z.strictObject({ type: z.literal('identity'), kind: IdentityKind })
const ConsentRule = z.strictObject({
  type: z.literal('consent'),
  channel: ConsentChannel,
  purpose: ConsentPurpose,
  status: ConsentStatus.default('opted_in'),
})
const MemberRule = z.strictObject({ type: z.literal('segment'), segmentId: z.string().min(1).max(64) })
const BehaviourRule = z
  .strictObject({
    type: z.literal('behaviour'),
    event: EventName.describe('A tracked event name (product_viewed, page, screen, identify) or a domain fact (order.placed)'),
    channel: z.string().min(1).max(64).optional(),
    where: z
      .array(PropertyFilter)
      .min(1)
      .max(10)
      .optional()
      .describe('Only occurrences whose properties pass every filter count (read from the stored facts, not the daily counters)'),
    atLeast: z.number().int().min(1).max(1_000_000).default(1),
    atMost: z.number().int().min(1).max(1_000_000).optional(),
    withinDays: Days.optional().describe('Today and the days before it, in whole UTC days'),
    notSince: z
      .strictObject({ event: EventName, channel: z.string().min(1).max(64).optional() })
      .optional()
      .describe('…and has not done this since the last counted occurrence ("and no order.placed since")'),
  })
  .refine((r) => r.atMost === undefined || r.atMost >= r.atLeast, { path: ['atMost'], message: 'must be at least atLeast' })

export type Rule =
  | { type: 'and' | 'or'; rules: Rule[] }
  | { type: 'not'; rule: Rule }
  | z.output<typeof TraitRule>
  | z.output<typeof IdentityRule>
  | z.output<typeof ConsentRule>
  | z.output<typeof MemberRule>
  | z.output<typeof BehaviourRule>

const AndRule = z.strictObject({
  type: z.literal('and'),
  get rules() {
    return z.array(Rule).min(1).max(20)
  },
})
const OrRule = z.strictObject({
  type: z.literal('or'),
  get rules() {
    return z.array(Rule).min(1).max(20)
  },
})
const NotRule = z.strictObject({
  type: z.literal('not'),
  get rule() {
    return Rule
  },
})

export const Rule: z.ZodType<Rule, unknown> = z
  .discriminatedUnion('type', [AndRule, OrRule, NotRule, TraitRule, IdentityRule, ConsentRule, MemberRule, BehaviourRule])
  .meta({ id: 'SegmentRule', description: 'and / or / not over trait, identity, consent, segment and behaviour conditions' })

export const SegmentBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    rule: Rule,
  })
  .meta({ id: 'SegmentBody' })
export type SegmentBody = z.infer<typeof SegmentBody>

export const PreviewBody = z
  .strictObject({ rule: Rule, sampleSize: z.number().int().min(0).max(100).default(10) })
  .meta({ id: 'SegmentPreviewBody' })

export const SegmentView = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    rule: z.unknown(),
    memberCount: z.number().int(),
    isTimeRelative: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Segment' })
export type SegmentView = z.infer<typeof SegmentView>

export const PreviewView = z.object({ count: z.number().int(), sample: z.array(z.string()) }).meta({ id: 'SegmentPreview' })
export const RecomputeView = z
  .object({ memberCount: z.number().int(), entered: z.number().int(), exited: z.number().int() })
  .meta({ id: 'SegmentRecompute' })
export const MemberView = z.object({ profileId: z.string(), enteredAt: z.string() }).meta({ id: 'SegmentMember' })
export const CountsQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) })
export const CountsView = z
  .object({ data: z.array(z.object({ day: z.string(), count: z.number().int(), entered: z.number().int(), exited: z.number().int() })) })
  .meta({ id: 'SegmentCounts' })
export const SegmentParams = z.strictObject({ id: z.string().min(1).max(64) })
export const CustomerParams = z.strictObject({ id: z.string().min(1).max(64) })
export const ProfileSegmentsView = z
  .object({ profileId: z.string(), data: z.array(z.object({ segmentId: z.string(), name: z.string(), enteredAt: z.string() })) })
  .meta({ id: 'ProfileSegments' })
export const ProfileTraitsView = z
  .object({ profileId: z.string(), traits: z.record(z.string(), z.unknown()), custom: z.record(z.string(), z.unknown()) })
  .meta({ id: 'ProfileTraits' })

const Aggregate = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('count') }),
  z.strictObject({ op: z.enum(['sum', 'avg', 'min', 'max', 'first', 'last', 'distinct', 'mode', 'latestBy']), path: FactPath }),
  z.strictObject({ op: z.literal('top'), path: FactPath, limit: z.number().int().min(1).max(20) }),
])
export type Aggregate = z.infer<typeof Aggregate>


export const TraitDefinition = z
  .strictObject({
    name: z.string().regex(/^[a-z][A-Za-z0-9_]{0,62}$/, 'must be camelCase letters, digits and _ (at most 63)'),
    description: z.string().max(500).optional(),
    source: z.strictObject({
      events: z.array(z.union([EventName, z.literal('*')])).min(1).max(20).describe('Fact names; * is every fact about the person'),
      channel: z.string().min(1).max(64).optional(),
      where: z.array(Filter).max(10).default([]),
    }),
    aggregate: Aggregate,
  })
  .meta({ id: 'TraitDefinition' })
export type TraitDefinition = z.infer<typeof TraitDefinition>

export const TraitDefinitionView = z
  .object({ name: z.string(), builtIn: z.boolean(), definition: z.unknown(), createdAt: z.string().nullable() })
  .meta({ id: 'TraitDefinitionView' })
