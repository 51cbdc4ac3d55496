import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { appendEvents, type NewEvent } from '../../kernel/outbox/index.js'
import { currentProfileIds, findByIdentity, normaliseIdentity, resolveAndMerge, resolveSightings, type IdentityConflict, type IdentityKind, type RawIdentity } from '../customers/index.js'
import type { EventsTables } from './db.js'

type Claimed = {
  id: string
  message_id: string
  type: string
  event: string | null
  user_id: string | null
  anonymous_id: string | null
  previous_id: string | null
  channel: string | null
  traits: Record<string, unknown> | null
  context: Record<string, unknown> | null
}

type Outcome = { profileId: string | null; conflicts: IdentityConflict[] }

/** The identity a value names, or nothing when it cannot be one (a malformed email trait). */
function identity(kind: IdentityKind, value: unknown): RawIdentity[] {
  if (typeof value !== 'string' && typeof value !== 'number') return []
  const raw = { kind, value: String(value) }
  return 'value' in normaliseIdentity(raw) ? [raw] : []
}

/**
 * Who an event names, strongest first: resolution picks the profile owning the first known
 * identity, so an identify's userId or email wins over the anonymous browser id it carries.
 */
async function identitiesOf(tx: Tx<EventsTables>, e: Claimed): Promise<RawIdentity[]> {
  if (e.type === 'alias') {
    // previousId is whatever id the person had before: a known userId, else an anonymous id.
    const asUser = identity('user_id', e.previous_id)
    const known = asUser.length > 0 && (await findByIdentity(crossModule(tx), 'user_id', asUser[0]!.value))
    return [...identity('user_id', e.user_id), ...(known ? asUser : identity('anonymous_id', e.previous_id))]
  }
  // Segment puts who-it-is on any call in context.traits; an identify's own traits win.
  const traits = { ...objectAt(e.context, 'traits'), ...(e.type === 'identify' ? e.traits : {}) }
  return [
    ...identity('user_id', e.user_id),
    ...traitIdentities.flatMap(([kind, names]) => names.flatMap((name) => identity(kind, traits[name]))),
    ...identity('device_id', objectAt(e.context, 'device').id),
    ...identity('anonymous_id', e.anonymous_id),
  ]
}

/** The traits that name a person, strongest first, in Segment's camelCase and in our kind names. */
const traitIdentities: [IdentityKind, string[]][] = [
  ['email', ['email']],
  ['phone', ['phone']],
  ['customer_number', ['customerNumber', 'customer_number']],
  ['loyalty_card', ['loyaltyCard', 'loyalty_card']],
  ['instagram', ['instagram']],
]

function objectAt(from: Record<string, unknown> | null, key: string): Record<string, unknown> {
  const value = from?.[key]
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/**
 * Processes up to `limit` unprocessed events, oldest first: resolves each one's identities into
 * a customer profile (creating it, attaching new identities to it, and merging the profiles
 * its identities name, through the customers module), stamps `profile_id` and `processed_at`,
 * records identities the merge rules kept on another profile in `events.identity_conflict`, and
 * appends one `event.processed` per event. Returns how many were processed.
 *
 * Safe in several processes at once: rows are claimed with FOR UPDATE SKIP LOCKED, so each event
 * is processed by one transaction, and a crash before commit leaves it unprocessed for the next
 * run. Events naming the same identities share one resolution.
 */
export async function processEvents(tx: Tx<EventsTables>, clock: Clock, limit: number): Promise<number> {
  const claimed = await sql<Claimed>`
    select id, message_id, type, event, user_id, anonymous_id, previous_id, channel, traits, context from events.event
    where processed_at is null order by received_at, id limit ${limit} for update skip locked`.execute(tx)
  if (claimed.rows.length === 0) return 0
  const sets: RawIdentity[][] = []
  for (const e of claimed.rows) sets.push(await identitiesOf(tx, e))
  // Most events come from people already known or seen for the first time: one set-based pass
  // (five queries for the whole batch) resolves those, and only the rest — identities that link
  // people — go through resolveAndMerge, ten queries each.
  const known = await resolveSightings(
    crossModule(tx),
    clock,
    claimed.rows.map((e, i) => ({ identities: sets[i]!, channel: e.channel })),
  )
  const resolved = new Map<string, Outcome>()
  const outcomes: Outcome[] = []
  for (const [i, e] of claimed.rows.entries()) {
    const profileId = known[i]
    if (profileId) {
      outcomes.push({ profileId, conflicts: [] })
      continue
    }
    const key = JSON.stringify([e.channel, sets[i]])
    const outcome = resolved.get(key) ?? (await resolveOne(tx, clock, sets[i]!, e.channel))
    resolved.set(key, outcome)
    outcomes.push(outcome)
  }
  // A merge made by the slow path may have folded a profile the fast path named into another.
  if (resolved.size > 0 && known.some((id) => id !== null)) {
    const current = await currentProfileIds(crossModule(tx), known.filter((id): id is string => id !== null))
    known.forEach((id, i) => {
      if (id !== null) outcomes[i] = { profileId: current.get(id) ?? id, conflicts: [] }
    })
  }
  await stamp(tx, clock, claimed.rows, outcomes)
  return claimed.rows.length
}

async function resolveOne(tx: Tx<EventsTables>, clock: Clock, identities: RawIdentity[], channel: string | null): Promise<Outcome> {
  if (identities.length === 0) return { profileId: null, conflicts: [] }
  const resolution = await resolveAndMerge(crossModule(tx), clock, { identities, channel })
  return { profileId: resolution.customer.id, conflicts: resolution.conflicts }
}

async function stamp(tx: Tx<EventsTables>, clock: Clock, rows: readonly Claimed[], outcomes: readonly Outcome[]) {
  const now = clock.now()
  await sql`
    update events.event e set profile_id = u.profile_id, processed_at = ${now}
    from unnest(${rows.map((r) => r.id)}::text[], ${outcomes.map((o) => o.profileId)}::text[]) as u(id, profile_id)
    where e.id = u.id`.execute(tx)
  const conflicts = rows.flatMap((r, i) => outcomes[i]!.conflicts.map((c) => ({ event: r.id, profile: outcomes[i]!.profileId!, ...c })))
  if (conflicts.length > 0) {
    await tx
      .insertInto('events.identity_conflict')
      .values(conflicts.map((c) => ({ event_id: c.event, kind: c.kind, value: c.value, owner_profile_id: c.profileId, profile_id: c.profile, created_at: now })))
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
  const facts: NewEvent[] = rows.map((r, i) => ({
    name: 'event.processed',
    version: 1,
    payload: { eventId: r.id, messageId: r.message_id, type: r.type, event: r.event, profileId: outcomes[i]!.profileId },
    channel: r.channel,
    profileId: outcomes[i]!.profileId,
  }))
  await appendEvents(crossModule(tx), clock, facts)
}
