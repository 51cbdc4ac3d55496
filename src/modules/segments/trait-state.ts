import { sql, type RawBuilder } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import type { SegmentsTables } from './db.js'
import type { Fact } from './facts.js'
import type { Aggregate, Filter, TraitDefinition } from './schema.js'

type STx = Tx<SegmentsTables>

/** An aggregate's mergeable state: two states of one trait combine whatever their order. */
export type State = {
  profileId: string
  trait: string
  n: number
  total: number | null
  low: number | null
  high: number | null
  firstAt: Date | null
  firstValue: unknown
  lastAt: Date | null
  lastValue: unknown
  tally: Record<string, number>
  latest: Record<string, string>
}

/** The value a fact holds at a path (`properties.total.amount`, `channel`, `occurredAt`). */
export function valueAt(fact: Fact, path: string): unknown {
  if (path === 'channel') return fact.channel
  if (path === 'name') return fact.name
  if (path === 'occurredAt') return fact.occurredAt.toISOString()
  let v: unknown = fact.properties
  for (const key of path.split('.').slice(1)) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

function passes(fact: Fact, filter: Filter): boolean {
  const v = valueAt(fact, filter.path)
  if (filter.op === 'exists') return v !== undefined && v !== null
  if (filter.op === 'in') return Array.isArray(filter.value) && filter.value.some((x) => x === v)
  return filter.op === 'eq' ? v === filter.value : v !== filter.value
}

export function matches(definition: TraitDefinition, fact: Fact): boolean {
  const { events, channel, where } = definition.source
  if (!events.includes('*') && !events.includes(fact.name)) return false
  if (channel !== undefined && fact.channel !== channel) return false
  return where.every((f) => passes(fact, f))
}

const empty = (profileId: string, trait: string): State => ({
  profileId, trait, n: 0, total: null, low: null, high: null, firstAt: null, firstValue: null, lastAt: null, lastValue: null, tally: {}, latest: {},
})

const keysOf = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).flatMap((x) => (typeof x === 'string' || typeof x === 'number' ? [String(x)] : []))

/** Adds one fact to a state; a fact without a usable value for the aggregate changes nothing. */
function add(s: State, aggregate: Aggregate, fact: Fact): void {
  if (aggregate.op === 'count') {
    s.n += 1
    return
  }
  const v = valueAt(fact, aggregate.path)
  if (v === undefined || v === null) return
  switch (aggregate.op) {
    case 'sum':
    case 'avg':
    case 'min':
    case 'max': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return
      s.n += 1
      s.total = (s.total ?? 0) + v
      s.low = s.low === null ? v : Math.min(s.low, v)
      s.high = s.high === null ? v : Math.max(s.high, v)
      return
    }
    case 'first':
    case 'last':
      s.n += 1
      // Facts arrive oldest first within a batch, so ties keep the first for `first` and the later for `last`.
      if (s.firstAt === null || fact.occurredAt < s.firstAt) [s.firstAt, s.firstValue] = [fact.occurredAt, v]
      if (s.lastAt === null || fact.occurredAt >= s.lastAt) [s.lastAt, s.lastValue] = [fact.occurredAt, v]
      return
    case 'distinct':
    case 'mode':
    case 'top':
      for (const key of keysOf(v)) s.tally[key] = (s.tally[key] ?? 0) + 1
      s.n += 1
      return
    case 'latestBy': {
      const at = fact.occurredAt.toISOString()
      for (const key of keysOf(v)) if (!s.latest[key] || s.latest[key]! < at) s.latest[key] = at
      s.n += 1
    }
  }
}

/**
 * Folds facts into one partial state per (profile, trait) touched, in memory: the database then
 * merges each into the stored state with one statement (see `mergeStates`). Custom `identify`
 * traits become `traits.<key>`, latest wins.
 */
export function aggregate(facts: readonly Fact[], definitions: readonly TraitDefinition[], customPrefix: string | null): State[] {
  const states = new Map<string, State>()
  const stateOf = (profileId: string, trait: string) => {
    const key = `${profileId}\u0000${trait}`
    let s = states.get(key)
    if (!s) states.set(key, (s = empty(profileId, trait)))
    return s
  }
  for (const fact of facts) {
    for (const d of definitions) if (matches(d, fact)) add(stateOf(fact.profileId, d.name), d.aggregate, fact)
    if (customPrefix === null || fact.name !== 'identify') continue
    for (const [key, value] of Object.entries(fact.properties)) {
      if (key.length > 64 || value === undefined) continue
      add(stateOf(fact.profileId, `${customPrefix}${key}`), { op: 'last', path: `properties.${key}` }, fact)
    }
  }
  // A definition no fact gave a value (a sum over orders without totals) leaves no row.
  return [...states.values()].filter((s) => s.n > 0)
}

/** How a trait's value is read off its state: its aggregate and, for `top`, how many keys. */
export type ValueRule = { op: Aggregate['op']; k: number }

/** A state's columns as SQL expressions, so one value formula serves rows and merged states. */
type StateSql = Record<
  'n' | 'total' | 'low' | 'high' | 'first_value' | 'last_value' | 'tally' | 'latest',
  RawBuilder<unknown>
>

// How a stored state `t` absorbs an incoming one `excluded`: counts and sums add, min/max and
// first/last combine, tallies add per key, latest-per-key keeps the later time.
const absorbed = {
  n: sql`t.n + excluded.n`,
  total: sql`case when t.total is null then excluded.total when excluded.total is null then t.total else t.total + excluded.total end`,
  low: sql`least(t.low, excluded.low)`,
  high: sql`greatest(t.high, excluded.high)`,
  first_value: sql`case when t.first_at is null or excluded.first_at < t.first_at then excluded.first_value else t.first_value end`,
  first_at: sql`case when t.first_at is null or excluded.first_at < t.first_at then excluded.first_at else t.first_at end`,
  last_value: sql`case when t.last_at is null or excluded.last_at >= t.last_at then excluded.last_value else t.last_value end`,
  last_at: sql`case when t.last_at is null or excluded.last_at >= t.last_at then excluded.last_at else t.last_at end`,
  tally: sql`t.tally || coalesce((
    select jsonb_object_agg(e.key, e.value::numeric + coalesce((t.tally ->> e.key)::numeric, 0))
    from jsonb_each(excluded.tally) e), '{}'::jsonb)`,
  latest: sql`t.latest || coalesce((
    select jsonb_object_agg(e.key, greatest(e.value #>> '{}', t.latest ->> e.key))
    from jsonb_each(excluded.latest) e), '{}'::jsonb)`,
  updated_at: sql`excluded.updated_at`,
}

const stateNames = [
  'profile_id', 'trait', 'n', 'total', 'low', 'high', 'first_at', 'first_value', 'last_at', 'last_value',
  'tally', 'latest', 'updated_at',
]

const columnsOf = (alias: string) =>
  Object.fromEntries(stateNames.map((c) => [c, sql.ref(`${alias}.${c}`)])) as unknown as StateSql

/**
 * The value of a state whose trait is `trait`, by the trait's rule in `rules` (a jsonb of
 * `ValueRule`s by trait name); a trait without a rule keeps `otherwise`.
 */
function valueOf(
  s: StateSql,
  trait: RawBuilder<unknown>,
  rules: string,
  otherwise: RawBuilder<unknown>,
) {
  const rule = sql`${rules}::jsonb -> ${trait}`
  return sql`case ${rule} ->> 'op'
    when 'count' then to_jsonb(${s.n})
    when 'sum' then to_jsonb(${s.total})
    when 'avg' then to_jsonb(round(${s.total} / nullif(${s.n}, 0), 2))
    when 'min' then to_jsonb(${s.low})
    when 'max' then to_jsonb(${s.high})
    when 'first' then ${s.first_value}
    when 'last' then ${s.last_value}
    when 'distinct' then (select coalesce(jsonb_agg(key order by key), '[]'::jsonb) from jsonb_each(${s.tally}))
    when 'mode' then (select to_jsonb(key) from jsonb_each(${s.tally}) order by value::numeric desc, key limit 1)
    when 'top' then (select coalesce(jsonb_agg(key order by c desc, key), '[]'::jsonb) from (
      select key, value::numeric as c from jsonb_each(${s.tally}) order by c desc, key limit (${rule} ->> 'k')::int) x)
    when 'latestBy' then ${s.latest}
    else ${otherwise}
  end`
}

/** Merges partial states into the stored ones with one INSERT … ON CONFLICT. */
export async function mergeStates(
  tx: STx,
  states: readonly State[],
  now: Date,
  rules: ReadonlyMap<string, ValueRule>,
): Promise<void> {
  if (states.length === 0) return
  const col = <T>(pick: (s: State) => T) => states.map(pick)
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v))
  await upsertStates(tx, sql`
    select profile_id, trait, n, total, low, high, first_at, first_value, last_at, last_value, tally, latest, ${now}::timestamptz
    from unnest(${col((s) => s.profileId)}::text[], ${col((s) => s.trait)}::text[], ${col((s) => s.n)}::bigint[],
      ${col((s) => s.total)}::numeric[], ${col((s) => s.low)}::numeric[], ${col((s) => s.high)}::numeric[],
      ${col((s) => s.firstAt?.toISOString() ?? null)}::timestamptz[], ${col((s) => json(s.firstValue))}::jsonb[],
      ${col((s) => s.lastAt?.toISOString() ?? null)}::timestamptz[], ${col((s) => json(s.lastValue))}::jsonb[],
      ${col((s) => JSON.stringify(s.tally))}::jsonb[], ${col((s) => JSON.stringify(s.latest))}::jsonb[])
      as u(profile_id, trait, n, total, low, high, first_at, first_value, last_at, last_value, tally, latest)`, rules)
}

/**
 * Upserts states and their values in one statement. `rows` selects state columns in
 * `stateNames` order, one row per (profile, trait). The value is computed in the same write,
 * from the state as stored after it: a second UPDATE for the values wrote every row twice,
 * the largest cost of applying an order's facts.
 */
export async function upsertStates(
  tx: STx,
  rows: RawBuilder<unknown>,
  rules: ReadonlyMap<string, ValueRule>,
): Promise<void> {
  const ruleJson = JSON.stringify(Object.fromEntries(rules))
  const columns = sql.raw(stateNames.join(', '))
  const sets = Object.entries(absorbed).map(([c, e]) => sql`${sql.ref(c)} = ${e}`)
  await sql`
    insert into segments.trait_state as t (${columns}, value)
    select s.*, ${valueOf(columnsOf('s'), sql.ref('s.trait'), ruleJson, sql`null`)}
    from (${rows}) as s(${columns})
    on conflict (profile_id, trait) do update set ${sql.join(sets)},
      value = ${valueOf(absorbed, sql.ref('t.trait'), ruleJson, sql.ref('t.value'))}`.execute(tx)
}
