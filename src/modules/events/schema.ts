import { z } from 'zod'
import { PageQuery } from '../../kernel/http/index.js'

/**
 * Segment HTTP Tracking API messages (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/).
 * Envelopes are loose objects on purpose: Segment accepts fields it does not know, and SDKs add
 * their own (`_metadata`, `writeKey`, RudderStack's `rudderId`), so refusing them would break an
 * SDK pointed here unchanged. Unknown fields are not stored.
 */

export const maxEventBytes = 32 * 1024
export const maxBatchBytes = 500 * 1024

const Id = z.string().min(1).max(200)
const Timestamp = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
const Json = z.record(z.string(), z.unknown())

const common = {
  userId: Id.nullish(),
  anonymousId: Id.nullish(),
  messageId: Id.optional(),
  timestamp: Timestamp.nullish(),
  sentAt: Timestamp.nullish(),
  context: Json.nullish(),
  integrations: Json.nullish(),
}

const kinds = {
  identify: { traits: Json.nullish() },
  track: { event: z.string().min(1).max(200), properties: Json.nullish() },
  page: { name: z.string().max(200).nullish(), category: z.string().max(200).nullish(), properties: Json.nullish() },
  screen: { name: z.string().max(200).nullish(), category: z.string().max(200).nullish(), properties: Json.nullish() },
  group: { groupId: Id, traits: Json.nullish() },
  alias: { previousId: Id, userId: Id },
} as const

export type MessageType = keyof typeof kinds
export const messageTypes = Object.keys(kinds) as MessageType[]

type IdFields = { userId?: string | null; anonymousId?: string | null }

function requireIdentity(m: IdFields, ctx: z.RefinementCtx) {
  if (!m.userId && !m.anonymousId) {
    ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' })
  }
}

/** One message of a kind; `type` may be left out on its own endpoint, and must be given in a batch. */
function single<T extends MessageType>(type: T) {
  const schema = z.looseObject({ ...common, ...kinds[type], type: z.literal(type).optional() })
  return type === 'alias' ? schema : schema.superRefine((m, ctx) => requireIdentity(m as IdFields, ctx))
}

function inBatch<T extends MessageType>(type: T) {
  const schema = z.looseObject({ ...common, ...kinds[type], type: z.literal(type) })
  return type === 'alias' ? schema : schema.superRefine((m, ctx) => requireIdentity(m as IdFields, ctx))
}

export const IdentifyBody = single('identify').meta({ id: 'SegmentIdentify' })
export const TrackBody = single('track').meta({ id: 'SegmentTrack' })
export const PageBody = single('page').meta({ id: 'SegmentPage' })
export const ScreenBody = single('screen').meta({ id: 'SegmentScreen' })
export const GroupBody = single('group').meta({ id: 'SegmentGroup' })
export const AliasBody = single('alias').meta({ id: 'SegmentAlias' })

export const singleBodies = {
  identify: IdentifyBody,
  track: TrackBody,
  page: PageBody,
  screen: ScreenBody,
  group: GroupBody,
  alias: AliasBody,
} as const

const BatchMessage = z.discriminatedUnion('type', [
  inBatch('identify'),
  inBatch('track'),
  inBatch('page'),
  inBatch('screen'),
  inBatch('group'),
  inBatch('alias'),
])

/** Any one message, as the edge parsed it. */
export type SegmentMessage = z.infer<(typeof singleBodies)[MessageType]> | z.infer<typeof BatchMessage>

export const BatchBody = z
  .looseObject({
    batch: z.array(BatchMessage).min(1),
    sentAt: Timestamp.nullish(),
    context: Json.nullish(),
    integrations: Json.nullish(),
  })
  .superRefine((body, ctx) => {
    // Segment's limit is per contained event, measured as the event's JSON.
    body.batch.forEach((m, i) => {
      const bytes = Buffer.byteLength(JSON.stringify(m))
      if (bytes > maxEventBytes) {
        ctx.addIssue({ code: 'custom', path: ['batch', i], message: `is ${bytes} bytes; an event may have at most ${maxEventBytes}` })
      }
    })
  })
  .meta({ id: 'SegmentBatch' })
export type BatchBody = z.infer<typeof BatchBody>

export const Accepted = z.object({ success: z.literal(true) }).meta({ id: 'SegmentAccepted' })

export const EventQuery = PageQuery.extend({
  profileId: z.string().min(1).max(64).optional(),
  userId: Id.optional(),
  anonymousId: Id.optional(),
})
export type EventQuery = z.infer<typeof EventQuery>

export const EventView = z
  .object({
    id: z.string(),
    messageId: z.string(),
    type: z.string(),
    event: z.string().nullable(),
    userId: z.string().nullable(),
    anonymousId: z.string().nullable(),
    groupId: z.string().nullable(),
    previousId: z.string().nullable(),
    channel: z.string().nullable(),
    properties: Json.nullable(),
    traits: Json.nullable(),
    context: Json.nullable(),
    timestamp: z.string().describe('Corrected for clock skew: original + (receivedAt − sentAt)'),
    originalTimestamp: z.string().nullable(),
    sentAt: z.string().nullable(),
    receivedAt: z.string(),
    processedAt: z.string().nullable(),
    profileId: z.string().nullable(),
  })
  .meta({ id: 'TrackedEvent' })
export type EventView = z.infer<typeof EventView>

/** What a timeline entry is: a Segment message type, or `domain` for Omnia's own facts. */
export const TimelineEntryType = z.enum([...(Object.keys(kinds) as MessageType[]), 'domain'])
export type TimelineEntryType = z.infer<typeof TimelineEntryType>

export const TimelineParams = z.object({ id: z.string().min(1).max(64) })

export const TimelineQuery = PageQuery.extend({
  channel: z.string().min(1).max(64).optional().describe('Only entries from this channel code'),
  type: TimelineEntryType.optional(),
})
export type TimelineQuery = z.infer<typeof TimelineQuery>

export const TimelineEntryView = z
  .object({
    id: z.string(),
    at: z.string().describe('When it happened (tracked events: corrected for clock skew)'),
    type: TimelineEntryType,
    name: z
      .string()
      .nullable()
      .describe('The tracked event or page/screen name, or the domain fact such as cart.updated'),
    channel: z.string().nullable().describe('The channel code of the touchpoint it came from'),
    properties: Json.describe('Properties (traits for identify and group; the payload for domain facts)'),
  })
  .meta({ id: 'TimelineEntry' })
export type TimelineEntryView = z.infer<typeof TimelineEntryView>

export const TrackingMode = z
  .enum(['record', 'reject'])
  .describe('record: store the event and record the violation; reject: answer 400 and store nothing')

export const EventName = z.object({ event: z.string().min(1).max(200) })

export const TrackingPlanBody = z.strictObject({ mode: TrackingMode }).meta({ id: 'TrackingPlanSettings' })

export const TrackingSchemaBody = z
  .strictObject({
    schema: Json.describe(
      "A JSON Schema for the track event's `properties`: type, properties, required, additionalProperties, items, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, minItems, maxItems",
    ),
    mode: TrackingMode.nullish().describe("This event's mode; null or absent: the plan's default"),
  })
  .meta({ id: 'EventSchemaDefinition' })
export type TrackingSchemaBody = z.infer<typeof TrackingSchemaBody>

export const TrackingSchemaView = z
  .object({
    event: z.string(),
    schema: Json,
    mode: TrackingMode.nullable(),
    effectiveMode: TrackingMode,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'TrackingSchema' })
export type TrackingSchemaView = z.infer<typeof TrackingSchemaView>

export const TrackingPlanView = z
  .object({ mode: TrackingMode, events: z.array(TrackingSchemaView) })
  .meta({ id: 'TrackingPlan' })
export type TrackingPlanView = z.infer<typeof TrackingPlanView>

export const ViolationCountView = z
  .object({ event: z.string(), count: z.number().int(), lastSeenAt: z.string() })
  .meta({ id: 'TrackingViolationCount' })
export type ViolationCountView = z.infer<typeof ViolationCountView>

export const ViolationView = z
  .object({
    id: z.string(),
    eventId: z.string(),
    event: z.string(),
    messageId: z.string(),
    channel: z.string().nullable(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
    receivedAt: z.string(),
  })
  .meta({ id: 'TrackingViolation' })
export type ViolationView = z.infer<typeof ViolationView>
