import { sql, type RawBuilder } from 'kysely'
import { rfmTrait } from './builtins.js'
import { dayOf } from './counters.js'
import type { Filter, Rule } from './schema.js'

/** Which profiles a statement decides about: all live ones, or those a batch of facts touched. */
export type Scope = { profileIds: readonly string[] | null }

type Ctx = { scope: Scope; today: string }

type TraitRule = Extract<Rule, { type: 'trait' }>

/** The first day a window of `days` days ending today includes: "the last 7 days" is today and the 6 before. */
export function windowStart(today: string, days: number): string {
  const d = new Date(`${today}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() - (days - 1))
  return dayOf(d)
}

const only = (ctx: Ctx, column = 'profile_id') =>
  ctx.scope.profileIds ? sql`and ${sql.ref(column)} = any(${[...ctx.scope.profileIds]}::text[])` : sql``

function universe(ctx: Ctx): RawBuilder<unknown> {
  return ctx.scope.profileIds
    ? sql`select unnest(${[...ctx.scope.profileIds]}::text[]) as profile_id`
    : sql`select id as profile_id from segments.profile where merged_into is null`
}

const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`

function traitCondition(rule: TraitRule, today: string): RawBuilder<unknown> {
  const v = rule.path ? sql`(value #> ${rule.path}::text[])` : sql`value`
  const asText = sql`((${v}) #>> '{}') collate "C"`
  const value = rule.value
  switch (rule.op) {
    case 'exists':
      return sql`${v} is not null and ${v} <> 'null'::jsonb`
    case 'eq':
      return sql`${v} = ${json(value)}`
    case 'neq':
      return sql`${v} <> ${json(value)}`
    case 'in':
      return sql`${v} = any(${(value as unknown[]).map((x) => JSON.stringify(x))}::jsonb[])`
    case 'contains':
      return sql`((jsonb_typeof(${v}) = 'array' and ${v} @> ${json([value])})
        or (jsonb_typeof(${v}) = 'object' and jsonb_exists(${v}, ${String(value)})))`
    case 'withinDays':
    case 'notWithinDays': {
      // ISO 8601 instants in UTC compare as text; no cast, so a malformed custom trait never fails the statement.
      const from = `${windowStart(today, value as number)}T00:00:00.000Z`
      return rule.op === 'withinDays'
        ? sql`jsonb_typeof(${v}) = 'string' and ${asText} >= ${from}`
        : sql`jsonb_typeof(${v}) = 'string' and ${asText} < ${from}`
    }
    default: {
      const cmp = sql.raw({ gt: '>', gte: '>=', lt: '<', lte: '<=' }[rule.op])
      return typeof value === 'number'
        ? sql`jsonb_typeof(${v}) = 'number' and (${v})::numeric ${cmp} ${value}`
        : sql`jsonb_typeof(${v}) = 'string' and ${asText} ${cmp} ${String(value)}`
    }
  }
}

/**
 * Compiles a rule to one SQL query answering the `profile_id`s that satisfy it: each condition
 * is a set read from this module's tables (behaviour from the daily counters, never raw events),
 * and and / or / not are INTERSECT / UNION / EXCEPT, which PostgreSQL runs as hash set
 * operations — one statement for any rule, whether over a batch's profiles or all of them.
 */
export function compileRule(rule: Rule, scope: Scope, now: Date): RawBuilder<unknown> {
  return compile(rule, { scope, today: dayOf(now) })
}

function compile(rule: Rule, ctx: Ctx): RawBuilder<unknown> {
  switch (rule.type) {
    case 'and': {
      // "A and not B" is A EXCEPT B: never materialise everyone just to take B out of them.
      const positive = rule.rules.filter((r) => r.type !== 'not')
      const negative = rule.rules.flatMap((r) => (r.type === 'not' ? [r.rule] : []))
      if (positive.length === 0) return compile({ type: 'not', rule: { type: 'or', rules: negative } }, ctx)
      const kept = sql.join(positive.map((r) => sql`(${compile(r, ctx)})`), sql` intersect `)
      if (negative.length === 0) return kept
      return sql`select profile_id from (${kept}) kept except ${sql.join(negative.map((r) => sql`(${compile(r, ctx)})`), sql` except `)}`
    }
    case 'or':
      return sql.join(rule.rules.map((r) => sql`(${compile(r, ctx)})`), sql` union `)
    case 'not':
      return sql`(${universe(ctx)}) except (${compile(rule.rule, ctx)})`
    case 'trait':
      return sql`select profile_id from segments.trait_state where trait = ${rule.name} ${only(ctx)} and ${traitCondition(rule, ctx.today)}`
    case 'identity':
      return sql`select profile_id from segments.identity_kind where kind = ${rule.kind} ${only(ctx)}`
    case 'consent':
      return sql`
        select profile_id from segments.consent
        where channel = ${rule.channel} and purpose = ${rule.purpose} and status = ${rule.status} ${only(ctx)}`
    case 'segment':
      return sql`select profile_id from segments.membership where segment_id = ${rule.segmentId} ${only(ctx)}`
    case 'behaviour': {
      const done = rule.where ? fromFacts(rule, ctx) : fromCounters(rule, ctx)
      if (!rule.notSince) return done
      const channel = rule.notSince.channel === undefined ? sql`` : sql`and n.channel = ${rule.notSince.channel}`
      // Along daily_count_profile_idx: only the days from the last occurrence on can hold a later one.
      return sql`
        select b.profile_id from (${done}) b
        where not exists (
          select 1 from segments.daily_count n
          where n.profile_id = b.profile_id and n.name = ${rule.notSince.event} ${channel}
            and n.day >= (b.last_at at time zone 'UTC')::date and n.last_at > b.last_at)`
    }
  }
}

type BehaviourRule = Extract<Rule, { type: 'behaviour' }>

/** The people who did it often enough, with their latest occurrence when `notSince` needs it. */
function fromCounters(rule: BehaviourRule, ctx: Ctx): RawBuilder<unknown> {
  const channel = rule.channel === undefined ? sql`` : sql`and channel = ${rule.channel}`
  const since = rule.withinDays === undefined ? sql`` : sql`and day >= ${windowStart(ctx.today, rule.withinDays)}::date`
  const most = rule.atMost === undefined ? sql`` : sql`and sum(occurrences) <= ${rule.atMost}`
  const last = rule.notSince ? sql`, max(last_at) as last_at` : sql``
  return sql`
    select profile_id ${last} from segments.daily_count
    where name = ${rule.event} ${channel} ${since} ${only(ctx)}
    group by profile_id having sum(occurrences) >= ${rule.atLeast} ${most}`
}

/**
 * The same from the stored facts, whose properties the counters do not keep. A fact names the
 * profile it arrived for; a merged-away profile points straight at its survivor (foldProfiles
 * keeps `merged_into` one hop deep), so one join finds the person.
 */
function fromFacts(rule: BehaviourRule, ctx: Ctx): RawBuilder<unknown> {
  const channel = rule.channel === undefined ? sql`` : sql`and f.channel = ${rule.channel}`
  const since = rule.withinDays === undefined ? sql`` : sql`and f.occurred_at >= ${`${windowStart(ctx.today, rule.withinDays)}T00:00:00Z`}::timestamptz`
  const most = rule.atMost === undefined ? sql`` : sql`and count(*) <= ${rule.atMost}`
  const scope = ctx.scope.profileIds
    ? sql`and f.profile_id in (select id from segments.profile where id = any(${[...ctx.scope.profileIds]}::text[]) or merged_into = any(${[...ctx.scope.profileIds]}::text[]))`
    : sql``
  const filters = (rule.where ?? []).map((f) => sql`and ${propertyCondition(f)}`)
  return sql`
    select coalesce(p.merged_into, p.id) as profile_id, max(f.occurred_at) as last_at
    from segments.fact f join segments.profile p on p.id = f.profile_id
    where f.name = ${rule.event} ${channel} ${since} ${scope} ${sql.join(filters, sql` `)}
    group by 1 having count(*) >= ${rule.atLeast} ${most}`
}

/** A filter on a fact's properties, with the meaning trait definitions give it (`matches`). */
function propertyCondition(filter: Filter): RawBuilder<unknown> {
  const v = sql`(f.properties #> ${filter.path.split('.').slice(1)}::text[])`
  switch (filter.op) {
    case 'exists':
      return sql`${v} is not null and ${v} <> 'null'::jsonb`
    case 'in':
      return sql`${v} = any(${(filter.value as unknown[]).map((x) => JSON.stringify(x))}::jsonb[])`
    case 'eq':
      return sql`${v} = ${json(filter.value)}`
    case 'neq':
      return sql`${v} is distinct from ${json(filter.value)}`
  }
}

/** What a rule reads, whether it depends on the passing of time, and the segments it names. */
export function analyseRule(rule: Rule): { dependsOn: string[]; isTimeRelative: boolean; segmentIds: string[] } {
  const deps = new Set<string>()
  const segments = new Set<string>()
  let timed = false
  const walk = (r: Rule): void => {
    switch (r.type) {
      case 'and':
      case 'or':
        return r.rules.forEach(walk)
      case 'not':
        return walk(r.rule)
      case 'trait':
        deps.add(`trait:${r.name}`)
        if (r.op === 'withinDays' || r.op === 'notWithinDays' || r.name === rfmTrait) timed = true
        return
      case 'identity':
        return void deps.add('identity')
      case 'consent':
        return void deps.add('consent')
      case 'segment':
        deps.add(`segment:${r.segmentId}`)
        return void segments.add(r.segmentId)
      case 'behaviour':
        deps.add(`event:${r.event}`)
        if (r.notSince) deps.add(`event:${r.notSince.event}`)
        if (r.withinDays !== undefined) timed = true
    }
  }
  walk(rule)
  return { dependsOn: [...deps].sort(), isTimeRelative: timed, segmentIds: [...segments] }
}

/** Every path in the rule that names a segment, for error messages (`rule.rules.0.segmentId`). */
export function segmentRefPaths(rule: Rule, at = 'rule'): { path: string; segmentId: string }[] {
  switch (rule.type) {
    case 'and':
    case 'or':
      return rule.rules.flatMap((r, i) => segmentRefPaths(r, `${at}.rules.${i}`))
    case 'not':
      return segmentRefPaths(rule.rule, `${at}.rule`)
    case 'segment':
      return [{ path: `${at}.segmentId`, segmentId: rule.segmentId }]
    default:
      return []
  }
}

/** Nesting deeper than this is refused: a rule is written by a person, not generated without bound. */
export const maxRuleDepth = 8

export function depthOf(rule: Rule): number {
  if (rule.type === 'and' || rule.type === 'or') return 1 + Math.max(...rule.rules.map(depthOf))
  if (rule.type === 'not') return 1 + depthOf(rule.rule)
  return 1
}
