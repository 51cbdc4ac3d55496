import type { Clock } from '../clock.js'
import type { Tx } from '../db/index.js'
import type { OutboxTables } from './db.js'

/** A domain fact as delivered to subscribers. */
export type OutboxEvent = {
  id: number
  name: string
  version: number
  payload: Record<string, unknown>
  channel: string | null
  profileId: string | null
  occurredAt: Date
}

export type NewEvent = {
  name: string
  version?: number
  payload: Record<string, unknown>
  channel?: string | null
  profileId?: string | null
}

/**
 * Appends facts to the outbox inside the caller's transaction: they exist if and only if the
 * state change that caused them commits. One INSERT for all of them.
 */
export async function appendEvents(tx: Tx<OutboxTables>, clock: Clock, events: readonly NewEvent[]) {
  if (events.length === 0) return
  const at = clock.now()
  await tx
    .insertInto('kernel.outbox')
    .values(
      events.map((e) => ({
        name: e.name,
        version: e.version ?? 1,
        payload: JSON.stringify(e.payload),
        channel: e.channel ?? null,
        profile_id: e.profileId ?? null,
        occurred_at: at,
      })),
    )
    .execute()
}
