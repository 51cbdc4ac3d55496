import { sql, type CompiledQuery, type RawBuilder } from 'kysely'
import type { Clock } from '../clock.js'
import { beforeCommit, rowsOf, statement, type Tx } from '../db/index.js'
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

type Row = {
  name: string
  version: number
  payload: string
  channel: string | null
  profileId: string | null
  occurredAt: Date
}

const buffers = new WeakMap<object, Row[]>()

/**
 * An INSERT of the facts `rows` yields, as columns (name, version, payload, channel, profile_id,
 * occurred_at): for set-based producers that append thousands of facts in one statement, from a
 * query or a data-modifying CTE, where `appendEvents` would carry each one through the process.
 * It writes at once rather than at commit, so its facts come before any appended earlier in the
 * same transaction.
 */
export function outboxInsert(rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`insert into kernel.outbox (name, version, payload, channel, profile_id, occurred_at) ${rows}`
}

const columns = [
  ['name', 'text'],
  ['version', 'int'],
  ['payload', 'jsonb'],
  ['channel', 'text'],
  ['profile_id', 'text'],
  ['occurred_at', 'timestamptz'],
] as const

const inserting = statement((_db, p: { cells: unknown[][] }) =>
  outboxInsert(sql`
    select name, version, payload, channel, profile_id, occurred_at
    from ${rowsOf('e', columns, p.cells, 'n')}
    order by n`),
)

function insertRows(rows: readonly Row[]): CompiledQuery {
  const cells = rows.map((r) => [r.name, r.version, r.payload, r.channel, r.profileId, r.occurredAt])
  return inserting.compile({ cells })
}

/**
 * Appends facts to the outbox inside the caller's transaction: they exist if and only if the
 * state change that caused them commits. In a transaction opened by `inTransaction`, every
 * event of the transaction is written by one INSERT just before the commit, in append order
 * (a batch of grouped reservations pays one statement, not one each).
 */
export async function appendEvents(tx: Tx<OutboxTables>, clock: Clock, events: readonly NewEvent[]) {
  if (events.length === 0) return
  const at = clock.now()
  const rows = events.map((e) => ({
    name: e.name,
    version: e.version ?? 1,
    payload: JSON.stringify(e.payload),
    channel: e.channel ?? null,
    profileId: e.profileId ?? null,
    occurredAt: at,
  }))
  const buffer = buffers.get(tx)
  if (buffer) {
    buffer.push(...rows)
    return
  }
  const fresh = [...rows]
  if (beforeCommit(tx, 'outbox', () => insertRows(fresh))) {
    buffers.set(tx, fresh)
    return
  }
  await tx.executeQuery(insertRows(rows))
}
