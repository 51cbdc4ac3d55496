import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { ConsentRow } from './consent-db.js'
import { toConsentView, toPreferencesView } from './consent-views.js'
import type {
  ConsentChannel,
  ConsentPurpose,
  ConsentStatus,
  ConsentView,
  ConsentsView,
  PreferencesView,
  RecordConsentBody,
  UpdatePreferencesBody,
} from './consent-schema.js'
import type { CustomersTables } from './db.js'
import { survivorsOf } from './views.js'

export type ConsentTx = Tx<CustomersTables>

/** Who recorded a choice: the touchpoint's channel code (null for staff) and an actor label. */
export type Recorder = { sourceChannel: string | null; recordedBy: string }

export type ConsentInput = RecordConsentBody & Recorder

/**
 * The person behind an id: its surviving profile and every profile merged into that survivor,
 * so choices recorded before a merge still count. `not-found` for an unknown id.
 */
async function personOf(tx: ConsentTx, id: string): Promise<{ survivor: string; ids: string[] }> {
  const survivor = (await survivorsOf(tx, [id])).get(id)
  if (!survivor) throw notFound('customer', id)
  const rows = await sql<{ id: string }>`
    with recursive tree(id, depth) as (
      select ${survivor}::text, 0
      union all
      select p.id, t.depth + 1 from tree t join customers.profile p on p.merged_into = t.id where t.depth < 32
    )
    select id from tree`.execute(tx)
  return { survivor, ids: rows.rows.map((r) => r.id) }
}

/** The latest choice per (channel, purpose) over a person's profiles; an opt-out wins a tie. */
async function currentConsents(tx: ConsentTx, ids: readonly string[], only?: { channel: ConsentChannel; purpose: ConsentPurpose }) {
  const rows = await sql<ConsentRow>`
    select distinct on (channel, purpose) * from customers.consent
    where profile_id = any(${[...ids]}::text[])
      ${only ? sql`and channel = ${only.channel} and purpose = ${only.purpose}` : sql``}
    order by channel, purpose, changed_at desc, (status = 'opted_out') desc`.execute(tx)
  return rows.rows
}

/** The survivor's preferences, else the latest set on a profile merged into it. */
async function effectivePreferences(tx: ConsentTx, person: { survivor: string; ids: string[] }) {
  return tx
    .selectFrom('customers.preference')
    .selectAll()
    .where('profile_id', 'in', person.ids)
    .orderBy(sql`profile_id = ${person.survivor}`, 'desc')
    .orderBy('updated_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/**
 * Locks the survivor's profile row: consent and preference writes for one person run one after
 * another, and a merge (which updates that row) cannot slip between the read and the write.
 */
async function lockPerson(tx: ConsentTx, id: string) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const person = await personOf(tx, id)
    const locked = await sql<{ id: string }>`
      select id from customers.profile where id = ${person.survivor} and merged_into is null for update`.execute(tx)
    if (locked.rows.length > 0) return person
  }
  throw new Error('customer profile kept being merged away while recording consent')
}

/**
 * Records one opt-in or opt-out for a customer (the survivor if merged): appends it to
 * `customers.consent_event` (append-only, the proof) and sets the current state in
 * `customers.consent`, in the caller's transaction. The person's profile row is locked first,
 * so concurrent choices for one person apply in one order and the current state always equals
 * the latest history entry. Appends `customer.consent_changed` only when the status differs
 * from the person's previous one (a repeated choice is history, not a change). `not-found` for
 * an unknown customer.
 */
export async function recordConsent(tx: ConsentTx, clock: Clock, id: string, input: ConsentInput) {
  const person = await lockPerson(tx, id)
  const key = { channel: input.channel, purpose: input.purpose }
  const previous = (await currentConsents(tx, person.ids, key))[0]
  const now = clock.now()
  const row = {
    profile_id: person.survivor,
    ...key,
    status: input.status,
    source: input.source,
    source_channel: input.sourceChannel,
    recorded_by: input.recordedBy,
    proof: input.proof === undefined ? null : JSON.stringify(input.proof),
  }
  await tx.insertInto('customers.consent_event').values({ ...row, occurred_at: now }).execute()
  const saved = await tx
    .insertInto('customers.consent')
    .values({ ...row, changed_at: now })
    .onConflict((oc) =>
      oc.columns(['profile_id', 'channel', 'purpose']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        source: eb.ref('excluded.source'),
        source_channel: eb.ref('excluded.source_channel'),
        recorded_by: eb.ref('excluded.recorded_by'),
        proof: eb.ref('excluded.proof'),
        changed_at: eb.ref('excluded.changed_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
  const changed = previous?.status !== input.status
  if (changed) {
    const payload = { profileId: person.survivor, ...key, status: input.status, previousStatus: previous?.status ?? null, source: input.source }
    await appendEvents(crossModule(tx), clock, [
      { name: 'customer.consent_changed', payload, channel: input.sourceChannel, profileId: person.survivor },
    ])
  }
  return { profileId: person.survivor, consent: toConsentView(saved), changed, before: previous ? toConsentView(previous) : null }
}

/**
 * A customer's consents (current per channel and purpose), preferences and the latest 100
 * recorded choices, over the survivor and every profile merged into it. `not-found` otherwise.
 */
export async function listConsents(tx: ConsentTx, id: string): Promise<ConsentsView> {
  const person = await personOf(tx, id)
  const [consents, preferences, history] = await Promise.all([
    currentConsents(tx, person.ids),
    effectivePreferences(tx, person),
    tx
      .selectFrom('customers.consent_event')
      .selectAll()
      .where('profile_id', 'in', person.ids)
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(100)
      .execute(),
  ])
  return {
    profileId: person.survivor,
    consents: consents.map(toConsentView),
    preferences: toPreferencesView(preferences),
    history: history.map((h) => toConsentView({ ...h, changed_at: h.occurred_at })),
  }
}

/**
 * Changes a customer's preferences (the survivor if merged): fields given replace the current
 * ones, `null` clears one, absent fields stay. Runs under the person's profile lock, so two
 * concurrent partial updates both land. Appends `customer.preferences_changed` when anything
 * differs. `not-found` for an unknown customer.
 */
export async function updatePreferences(tx: ConsentTx, clock: Clock, id: string, input: UpdatePreferencesBody, recorder: Recorder) {
  const person = await lockPerson(tx, id)
  const before = toPreferencesView(await effectivePreferences(tx, person))
  const after: PreferencesView = {
    preferredChannel: input.preferredChannel === undefined ? before.preferredChannel : input.preferredChannel,
    language: input.language === undefined ? before.language : input.language,
    quietHours: input.quietHours === undefined ? before.quietHours : input.quietHours,
  }
  const columns = {
    preferred_channel: after.preferredChannel,
    language: after.language,
    quiet_start: after.quietHours?.start ?? null,
    quiet_end: after.quietHours?.end ?? null,
    time_zone: after.quietHours?.timeZone ?? null,
    updated_at: clock.now(),
  }
  await tx
    .insertInto('customers.preference')
    .values({ profile_id: person.survivor, ...columns })
    .onConflict((oc) => oc.column('profile_id').doUpdateSet(columns))
    .execute()
  const changed = JSON.stringify(before) !== JSON.stringify(after)
  if (changed) {
    await appendEvents(crossModule(tx), clock, [
      {
        name: 'customer.preferences_changed',
        payload: { profileId: person.survivor, ...after },
        channel: recorder.sourceChannel,
        profileId: person.survivor,
      },
    ])
  }
  return { profileId: person.survivor, before, after, changed }
}

export type ContactVerdict = {
  allowed: boolean
  reason: 'opted-in' | 'transactional' | 'opted-out' | 'no-opt-in' | 'quiet-hours'
}

/** Minutes since local midnight of `at` in `timeZone`. */
function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at)
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return part('hour') * 60 + part('minute')
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** Whether `at` falls in [start, end) local time; a window past midnight (22:00–08:00) wraps. */
export function inQuietHours(at: Date, quiet: { start: string; end: string; timeZone: string }): boolean {
  const now = localMinutes(at, quiet.timeZone)
  const start = minutesOf(quiet.start)
  const end = minutesOf(quiet.end)
  return start < end ? now >= start && now < end : now >= start || now < end
}

/**
 * Whether a message of `purpose` may go to a customer on `channel` at `at` (the messaging
 * layer asks before each send). Transactional messages go unless the person opted out;
 * marketing needs an opt-in and is held during the person's quiet hours, read in their time
 * zone. Follows merges; `not-found` for an unknown customer. Reads only.
 */
export async function canContact(
  tx: ConsentTx,
  profileId: string,
  channel: ConsentChannel,
  purpose: ConsentPurpose,
  at: Date,
): Promise<ContactVerdict> {
  const person = await personOf(tx, profileId)
  const status: ConsentStatus | undefined = (await currentConsents(tx, person.ids, { channel, purpose }))[0]?.status
  if (status === 'opted_out') return { allowed: false, reason: 'opted-out' }
  if (purpose === 'transactional') return { allowed: true, reason: status === 'opted_in' ? 'opted-in' : 'transactional' }
  if (status !== 'opted_in') return { allowed: false, reason: 'no-opt-in' }
  const quiet = toPreferencesView(await effectivePreferences(tx, person)).quietHours
  if (quiet && inQuietHours(at, quiet)) return { allowed: false, reason: 'quiet-hours' }
  return { allowed: true, reason: 'opted-in' }
}
