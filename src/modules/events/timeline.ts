import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { decodeTimeCursor, toPage, type Page } from '../../kernel/http/index.js'
import { newId } from '../../kernel/ids.js'
import type { OutboxEvent, Subscriber } from '../../kernel/outbox/index.js'
import { getCustomer, mergedProfileIds } from '../customers/index.js'
import type { EventsTables } from './db.js'
import type { TimelineEntryType, TimelineEntryView, TimelineQuery } from './schema.js'

/** The checkpoint name of the timeline subscriber: renaming it would copy every fact again. */
export const timelineConsumer = 'events.timeline'

// `event.processed` echoes a tracked event, which the timeline already reads from events.event.
const echoes = new Set(['event.processed'])

const idOf = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : null)

type Entry = {
  id: string
  outboxEventId: number
  name: string
  version: number
  channel: string | null
  profileId: string | null
  anonymousId: string | null
  properties: string
  occurredAt: string
}

/** Who a fact is about: the event's profile, else the customerId or profileId its payload names. */
function entryOf(e: OutboxEvent): Entry | null {
  if (echoes.has(e.name)) return null
  const profileId = e.profileId ?? idOf(e.payload.customerId) ?? idOf(e.payload.profileId)
  const anonymousId = idOf(e.payload.anonymousId)
  if (!profileId && !anonymousId) return null
  return {
    id: newId('tle'),
    outboxEventId: e.id,
    name: e.name,
    version: e.version,
    channel: e.channel,
    profileId,
    anonymousId,
    properties: JSON.stringify(e.payload),
    occurredAt: e.occurredAt.toISOString(),
  }
}

/**
 * Copies the delivered domain facts that are about a person (a profile, or an anonymous visitor
 * a profile may later own) into `events.timeline_entry`, with one INSERT whatever their number.
 * Facts about no one are skipped. Returns how many entries were new.
 *
 * Exactly once: the dispatcher runs this in the transaction that advances the checkpoint, and
 * the unique `outbox_event_id` turns a redelivered fact into a no-op (ON CONFLICT DO NOTHING
 * waits for a concurrent insert of the same fact to commit, so racing dispatchers store it once).
 */
export async function recordDomainFacts(tx: Tx<EventsTables>, clock: Clock, events: readonly OutboxEvent[]): Promise<number> {
  const entries = events.flatMap((e) => entryOf(e) ?? [])
  if (entries.length === 0) return 0
  const col = <T>(pick: (e: Entry) => T) => entries.map(pick)
  const result = await sql`
    insert into events.timeline_entry
      (id, outbox_event_id, name, version, channel, profile_id, anonymous_id, properties, occurred_at, recorded_at)
    select id, outbox_event_id, name, version, channel, profile_id, anonymous_id, properties, occurred_at, ${clock.now()}
    from unnest(${col((e) => e.id)}::text[], ${col((e) => e.outboxEventId)}::bigint[], ${col((e) => e.name)}::text[],
      ${col((e) => e.version)}::int[], ${col((e) => e.channel)}::text[], ${col((e) => e.profileId)}::text[],
      ${col((e) => e.anonymousId)}::text[], ${col((e) => e.properties)}::jsonb[], ${col((e) => e.occurredAt)}::timestamptz[])
      as e(id, outbox_event_id, name, version, channel, profile_id, anonymous_id, properties, occurred_at)
    on conflict (outbox_event_id) do nothing`.execute(tx)
  return Number(result.numAffectedRows ?? 0)
}

/** The outbox subscriber that keeps the customer timeline complete with Omnia's own facts. */
export function timelineSubscriber(clock: Clock): Subscriber {
  return {
    consumer: timelineConsumer,
    // Every fact: which ones carry a person is known only from the event itself.
    names: [],
    handle: async (events, tx) => void (await recordDomainFacts(tx, clock, events)),
  }
}

type TimelineRow = {
  id: string
  at: Date
  type: TimelineEntryType
  name: string | null
  channel: string | null
  properties: Record<string, unknown>
}

function afterCursor(cursor: string | undefined): { at: Date; id: string } | null {
  if (!cursor) return null
  return decodeTimeCursor(cursor)
}

/**
 * A customer's timeline, newest first: the tracked events identity resolution assigned to them
 * (an event appears once the events task has processed it) and the domain facts about them or
 * about an anonymous id they own, including those of every profile merged into them. A
 * merged-away id answers its survivor's timeline; an unknown
 * one is `not-found`. Keyset pagination on (at, id), so entries arriving meanwhile never shift a
 * page; `channel` and `type` filter both sources.
 */
export async function customerTimeline(tx: Tx<EventsTables>, customerId: string, query: TimelineQuery): Promise<Page<TimelineEntryView>> {
  const customer = await getCustomer(crossModule(tx), customerId)
  // Entries stamped with a profile merged into this one (at any depth) are this person's too.
  const { ids } = await mergedProfileIds(crossModule(tx), customer.id)
  const anonymous = customer.identities.filter((i) => i.kind === 'anonymous_id').map((i) => i.value)
  const after = afterCursor(query.cursor)
  const take = query.limit + 1
  const channel = query.channel ? sql`and channel = ${query.channel}` : sql``
  const before = (at: string) => (after ? sql`and (${sql.ref(at)}, id) < (${after.at}::timestamptz, ${after.id})` : sql``)
  const arms = []
  if (query.type !== 'domain') {
    arms.push(sql`(
      select id, "timestamp" as at, type, event as name, channel,
        coalesce(case when type in ('identify', 'group') then traits else properties end, '{}'::jsonb) as properties
      from events.event
      where profile_id = any(${ids}::text[]) ${query.type ? sql`and type = ${query.type}` : sql``} ${channel} ${before('timestamp')}
      order by "timestamp" desc, id desc limit ${take})`)
  }
  if (!query.type || query.type === 'domain') {
    arms.push(sql`(
      select id, occurred_at as at, 'domain' as type, name, channel, properties
      from events.timeline_entry
      where (profile_id = any(${ids}::text[]) or (profile_id is null and anonymous_id = any(${anonymous}::text[])))
        ${channel} ${before('occurred_at')}
      order by occurred_at desc, id desc limit ${take})`)
  }
  const rows = await sql<TimelineRow>`
    select * from (${sql.join(arms, sql` union all `)}) t order by at desc, id desc limit ${take}`.execute(tx)
  return toPage(rows.rows, query.limit, (r) => [r.at.toISOString(), r.id], (r) => ({ ...r, at: r.at.toISOString() }))
}
