import { sql } from 'kysely'
import { decodeTimeCursor, toPage, type Page } from '../../kernel/http/index.js'
import type { Tx } from '../../kernel/db/index.js'
import type { EventRow, EventsTables } from './db.js'
import type { EventQuery, EventView } from './schema.js'

const iso = (d: Date | null) => (d === null ? null : d.toISOString())

export function toView(row: EventRow): EventView {
  return {
    id: row.id,
    messageId: row.message_id,
    type: row.type,
    event: row.event,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    groupId: row.group_id,
    previousId: row.previous_id,
    channel: row.channel,
    properties: row.properties,
    traits: row.traits,
    context: row.context,
    timestamp: row.timestamp.toISOString(),
    originalTimestamp: iso(row.original_timestamp),
    sentAt: iso(row.sent_at),
    receivedAt: row.received_at.toISOString(),
    processedAt: iso(row.processed_at),
    profileId: row.profile_id,
  }
}

/**
 * Stored events, newest first (by corrected timestamp, then id), filtered by any of profileId,
 * userId and anonymousId. Keyset pagination: the cursor is the last row's (timestamp, id), so
 * events arriving meanwhile never shift a page.
 */
export async function listEvents(tx: Tx<EventsTables>, query: EventQuery): Promise<Page<EventView>> {
  let q = tx.selectFrom('events.event').selectAll()
  if (query.profileId) q = q.where('profile_id', '=', query.profileId)
  if (query.userId) q = q.where('user_id', '=', query.userId)
  if (query.anonymousId) q = q.where('anonymous_id', '=', query.anonymousId)
  if (query.cursor) {
    const { at: after, id } = decodeTimeCursor(query.cursor)
    q = q.where((eb) => eb.or([eb('timestamp', '<', after), eb.and([eb('timestamp', '=', after), eb('id', '<', id)])]))
  }
  const rows = await q.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute()
  return toPage(rows, query.limit, (r) => [r.timestamp.toISOString(), r.id], toView)
}

/** What a tracked event said, for readers of `event.processed` (whose payload names the event only). */
export type TrackedEvent = Pick<EventRow, 'id' | 'type' | 'event' | 'channel' | 'properties' | 'traits' | 'timestamp' | 'profile_id'>

/** The stored events with these ids, in one query; unknown ids are absent. */
export async function trackedEvents(tx: Tx<EventsTables>, ids: readonly string[]): Promise<TrackedEvent[]> {
  if (ids.length === 0) return []
  return tx
    .selectFrom('events.event')
    .select(['id', 'type', 'event', 'channel', 'properties', 'traits', 'timestamp', 'profile_id'])
    // One array parameter: an IN list would be a new statement text, prepared anew, per length.
    .where(sql<boolean>`id = any(${[...ids]}::text[])`)
    .execute()
}
