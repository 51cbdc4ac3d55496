import { sql, type Kysely } from 'kysely'

/** Test helpers for event suites; production code never imports this file. */

/** Segment SDKs send the write key as the HTTP Basic user name with an empty password. */
export function basicAuth(writeKey: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` }
}

export type StoredEvent = {
  message_id: string
  type: string
  event: string | null
  user_id: string | null
  anonymous_id: string | null
  previous_id: string | null
  channel: string | null
  properties: Record<string, unknown> | null
  traits: Record<string, unknown> | null
  timestamp: Date
  original_timestamp: Date | null
  sent_at: Date | null
  received_at: Date
  processed_at: Date | null
  profile_id: string | null
}

/** Every stored event in arrival order. */
export async function storedEvents(db: Kysely<any>): Promise<StoredEvent[]> {
  const rows = await sql<StoredEvent>`
    select message_id, type, event, user_id, anonymous_id, previous_id, channel, properties, traits, timestamp,
      original_timestamp, sent_at, received_at, processed_at, profile_id
    from events.event order by received_at, id`.execute(db)
  return rows.rows
}

export async function eventCount(db: Kysely<any>): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from events.event`.execute(db)).rows[0]!.n
}
