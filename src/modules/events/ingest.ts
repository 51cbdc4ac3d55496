import { sql, type Kysely } from 'kysely'
import { BatchQueue, type Tx } from '../../kernel/db/index.js'
import { newId } from '../../kernel/ids.js'
import type { EventsTables } from './db.js'
import type { MessageType, SegmentMessage } from './schema.js'
import { insertViolations, type NewViolation } from './tracking-plan.js'

/** A message ready to store: what the edge parsed, plus who sent it and when it arrived. */
export type NewEvent = {
  id: string
  messageId: string
  writer: string
  type: MessageType
  event: string | null
  userId: string | null
  anonymousId: string | null
  groupId: string | null
  previousId: string | null
  channel: string | null
  properties: Record<string, unknown> | null
  traits: Record<string, unknown> | null
  context: Record<string, unknown> | null
  integrations: Record<string, unknown> | null
  timestamp: Date
  originalTimestamp: Date | null
  sentAt: Date | null
  receivedAt: Date
}

export type Sender = { writer: string; channel: string | null; receivedAt: Date }

/** Defaults a batch envelope gives its messages (Segment merges them into each one). */
export type Envelope = { sentAt?: string | null; context?: Record<string, unknown> | null; integrations?: Record<string, unknown> | null }

const field = <T>(m: SegmentMessage, key: string) => ((m as Record<string, unknown>)[key] ?? null) as T | null

/**
 * Builds the stored row of one message. Clock skew follows Segment's rule: the sender's
 * timestamp is shifted by how far its clock was off when it sent, `receivedAt − sentAt`; without
 * a timestamp the event happened when it arrived. A message without messageId cannot be
 * deduplicated, so it gets a fresh one.
 */
export function toNewEvent(type: MessageType, m: SegmentMessage, envelope: Envelope, sender: Sender): NewEvent {
  const sentIso = m.sentAt ?? envelope.sentAt ?? null
  const sentAt = sentIso ? new Date(sentIso) : null
  const originalTimestamp = m.timestamp ? new Date(m.timestamp) : null
  const skew = sentAt ? sender.receivedAt.getTime() - sentAt.getTime() : 0
  const timestamp = originalTimestamp ? new Date(originalTimestamp.getTime() + skew) : sender.receivedAt
  const context = envelope.context || m.context ? { ...envelope.context, ...m.context } : null
  const integrations = envelope.integrations || m.integrations ? { ...envelope.integrations, ...m.integrations } : null
  return {
    id: newId('evt'),
    messageId: m.messageId ?? newId('msg'),
    writer: sender.writer,
    type,
    event: type === 'track' ? field<string>(m, 'event') : field<string>(m, 'name'),
    userId: m.userId ?? null,
    anonymousId: m.anonymousId ?? null,
    groupId: field<string>(m, 'groupId'),
    previousId: field<string>(m, 'previousId'),
    channel: sender.channel,
    properties: field<Record<string, unknown>>(m, 'properties'),
    traits: field<Record<string, unknown>>(m, 'traits'),
    context,
    integrations,
    timestamp,
    originalTimestamp,
    sentAt,
    receivedAt: sender.receivedAt,
  }
}

const json = (v: Record<string, unknown> | null) => (v === null ? null : JSON.stringify(v))
const iso = (d: Date | null) => (d === null ? null : d.toISOString())

/**
 * Stores events append-only with one statement, whatever their number (columns travel as
 * arrays, so no parameter limit applies). A messageId its writer already sent is skipped by the
 * unique (writer, message_id) index: ON CONFLICT DO NOTHING waits for a concurrent insert of the
 * same key to commit, so a re-sent event is stored exactly once even when both copies race.
 * Returns how many rows were new.
 */
export async function insertEvents(tx: Tx<EventsTables>, events: readonly NewEvent[]): Promise<number> {
  if (events.length === 0) return 0
  const col = <T>(pick: (e: NewEvent) => T) => events.map(pick)
  const result = await sql`
    insert into events.event (id, message_id, writer, type, event, user_id, anonymous_id, group_id, previous_id,
      channel, properties, traits, context, integrations, timestamp, original_timestamp, sent_at, received_at)
    select id, message_id, writer, type, event, user_id, anonymous_id, group_id, previous_id,
      channel, properties, traits, context, integrations, timestamp, original_timestamp, sent_at, received_at
    from unnest(${col((e) => e.id)}::text[], ${col((e) => e.messageId)}::text[], ${col((e) => e.writer)}::text[],
      ${col((e) => e.type)}::text[], ${col((e) => e.event)}::text[], ${col((e) => e.userId)}::text[],
      ${col((e) => e.anonymousId)}::text[], ${col((e) => e.groupId)}::text[], ${col((e) => e.previousId)}::text[],
      ${col((e) => e.channel)}::text[], ${col((e) => json(e.properties))}::jsonb[], ${col((e) => json(e.traits))}::jsonb[],
      ${col((e) => json(e.context))}::jsonb[], ${col((e) => json(e.integrations))}::jsonb[],
      ${col((e) => iso(e.timestamp))}::timestamptz[], ${col((e) => iso(e.originalTimestamp))}::timestamptz[],
      ${col((e) => iso(e.sentAt))}::timestamptz[], ${col((e) => iso(e.receivedAt))}::timestamptz[])
      with ordinality as e(id, message_id, writer, type, event, user_id, anonymous_id, group_id, previous_id,
        channel, properties, traits, context, integrations, timestamp, original_timestamp, sent_at, received_at, n)
    order by n
    on conflict (writer, message_id) do nothing`.execute(tx)
  return Number(result.numAffectedRows ?? 0)
}

/** One ingestion call: its events and the tracking-plan violations to record with them. */
export type Submission = { events: readonly NewEvent[]; violations: readonly NewViolation[] }

/**
 * Group commit for ingestion: concurrent calls (from any touchpoint) share one transaction and
 * one INSERT, and each caller's promise settles only after that commit, so a 200 always means
 * the events (and their recorded violations) are durable.
 */
export function ingestionQueue(db: Kysely<any>): BatchQueue<any, Submission, number> {
  return new BatchQueue(db, async (tx, inputs) => {
    await insertEvents(tx, inputs.flatMap((i) => i.events))
    await insertViolations(tx, inputs.flatMap((i) => i.violations))
    // Which rows of the shared statement were duplicates does not matter to a sender: Segment
    // answers success for a re-sent message too.
    return inputs.map((i) => ({ ok: true as const, value: i.events.length }))
  })
}
