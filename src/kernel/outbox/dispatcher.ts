import { sql, type Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { inTransaction, planForBatch, type Tx } from '../db/index.js'
import type { OutboxEvent } from './append.js'
import type { OutboxTables } from './db.js'

export type Subscriber = {
  /** Stable name: the checkpoint is stored under it, so renaming replays everything. */
  consumer: string
  /** Event names wanted; an empty list means all. */
  names: readonly string[]
  /**
   * Runs in the transaction that also advances the checkpoint: database effects happen exactly
   * once; effects outside the database must be idempotent (delivery is at least once).
   */
  handle(events: OutboxEvent[], tx: Tx<any>): Promise<void>
}

type Position = { txId: string; eventId: number }

/** How far one consumer is behind the outbox. */
export type ConsumerLag = {
  consumer: string
  /** Events after its checkpoint, counted up to `lagCountCap` (a full count of a huge backlog would itself be slow). */
  pending: number
  /** The oldest of them, by when it happened; null when the consumer is caught up. */
  oldestPendingAt: Date | null
  /** When its checkpoint last moved; null before its first delivery. */
  checkpointAt: Date | null
}

export const lagCountCap = 100_000

type OutboxRow = {
  id: number
  tx_id: string
  name: string
  version: number
  payload: Record<string, unknown>
  channel: string | null
  profile_id: string | null
  occurred_at: Date
}

const beyondAll: Position = { txId: String(2n ** 63n), eventId: 0 }

const position = (r: OutboxRow): Position => ({ txId: r.tx_id, eventId: r.id })

const wants = (s: Subscriber, r: OutboxRow) => s.names.length === 0 || s.names.includes(r.name)

/** A consumer whose checkpoint may move from `from` to `to` with nothing to handle between. */
type Passed = { consumer: string; from: Position; to: Position }

/** Delivery order: by writer transaction id (an xid8, as text), then event id. */
function before(a: Position, b: Position): boolean {
  const ta = BigInt(a.txId)
  const tb = BigInt(b.txId)
  return ta < tb || (ta === tb && a.eventId < b.eventId)
}

/**
 * Delivers outbox events, in order, to in-process subscribers, each at its own checkpoint.
 *
 * Ordering rests on the writer's transaction id rather than the event id alone: on PostgreSQL a
 * transaction holding event 7 can commit after one holding event 8, and a reader that moved
 * past 8 would never see 7. A row is read only once its transaction id is below the xmin of the
 * reader's snapshot, i.e. once every transaction that could still add an earlier row has ended,
 * and rows are read in (transaction id, event id) order, which never changes after that point.
 *
 * Several processes may run dispatchers on one database: a consumer's checkpoint row is locked
 * with SKIP LOCKED, so one process at a time advances it and the others move on.
 */
export class OutboxDispatcher {
  readonly #subscribers: Subscriber[] = []
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = true

  constructor(
    private readonly db: Kysely<OutboxTables>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options = { pollMs: 100, batchSize: 500, gatherMs: 40 },
  ) {}

  subscribe(subscriber: Subscriber): void {
    this.#subscribers.push(subscriber)
  }

  start(): void {
    this.#stopped = false
    this.#schedule(0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  /**
   * Delivers every event committed before the call to every subscriber; for tests and shutdown.
   * An event may be committed yet not deliverable for a moment: a transaction elsewhere on the
   * server (any database of the cluster) holds the snapshot horizon back. So this waits, up to
   * `timeoutMs`, until nothing committed lies beyond any checkpoint.
   */
  async drain(timeoutMs = 15_000): Promise<void> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      let delivered = 0
      for (const s of this.#subscribers) delivered += await this.deliverBatch(s)
      if (delivered > 0) continue
      if (!(await this.#anyBehind()) || performance.now() > deadline) return
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  async #anyBehind(): Promise<boolean> {
    for (const s of this.#subscribers) {
      const behind = await sql<{ behind: boolean }>`
        select exists (
          select 1 from kernel.outbox o
          where (o.tx_id, o.id) > coalesce(
            (select (c.tx_id, c.event_id) from kernel.consumer_checkpoint c where c.consumer = ${s.consumer}),
            ('0'::xid8, 0::bigint))
        ) as behind`.execute(this.db)
      if (behind.rows[0]?.behind) return true
    }
    return false
  }

  #schedule(ms: number) {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().finally(() => (this.#running = undefined))
    }, ms)
  }

  /**
   * One tick reads the next batch once, from the earliest checkpoint of the consumers that are
   * behind, and hands each of them its part of it. After a tick that read a part batch, the next
   * waits `gatherMs`: under steady load events then reach subscribers a few dozen at a time, so
   * a subscriber's fixed cost per batch (its transaction, checkpoint, set-based statements) is
   * shared by many events instead of being paid for one or two. A full batch means a backlog,
   * and the next tick starts at once.
   */
  async #tick() {
    let scanned = 0
    try {
      const due = await this.#consumersBehind()
      const from = [...due.values()].reduce((a, b) => (before(b, a) ? b : a), beyondAll)
      const rows = due.size === 0 ? [] : await this.#read(this.db, from)
      scanned = rows.length
      const passed: Passed[] = []
      for (const s of this.#subscribers) {
        const at = due.get(s.consumer)
        if (!at) continue
        const ahead = rows.filter((r) => before(at, position(r)))
        const end = ahead.at(-1)
        if (end && at.stored && !ahead.some((r) => wants(s, r))) {
          passed.push({ consumer: s.consumer, from: at, to: position(end) })
          continue
        }
        try {
          await this.deliverBatch(s, rows)
        } catch (err) {
          this.logger.error({ err, consumer: s.consumer }, 'outbox delivery failed; will retry')
        }
      }
      if (passed.length > 0) await this.#moveCheckpoints(passed)
    } catch (err) {
      this.logger.error({ err }, 'outbox read failed; will retry')
    }
    const { pollMs, batchSize, gatherMs } = this.options
    this.#schedule(scanned >= batchSize ? 0 : scanned > 0 ? gatherMs : pollMs)
  }

  /** Every subscriber's backlog, in subscription order: one statement, each count capped. */
  async lag(): Promise<ConsumerLag[]> {
    const consumers = this.#subscribers.map((s) => s.consumer)
    if (consumers.length === 0) return []
    const rows = await sql<{ consumer: string; pending: number; oldest: Date | null; updated_at: Date | null }>`
      select s.consumer, c.updated_at,
        (select count(*)::int from (
           select 1 from kernel.outbox o
           where (o.tx_id, o.id) > (coalesce(c.tx_id, '0'::xid8), coalesce(c.event_id, 0::bigint))
           limit ${lagCountCap}) p) as pending,
        (select o.occurred_at from kernel.outbox o
         where (o.tx_id, o.id) > (coalesce(c.tx_id, '0'::xid8), coalesce(c.event_id, 0::bigint))
         order by o.tx_id, o.id limit 1) as oldest
      from unnest(${consumers}::text[]) with ordinality as s(consumer, ord)
      left join kernel.consumer_checkpoint c on c.consumer = s.consumer
      order by s.ord`.execute(this.db)
    return rows.rows.map((r) => ({ consumer: r.consumer, pending: r.pending, oldestPendingAt: r.oldest, checkpointAt: r.updated_at }))
  }

  /**
   * Moves the checkpoints of consumers that wanted none of the events they were behind on, all in
   * one statement and without a transaction each: most subscribers want a few rare events, and
   * a delivery transaction (five round trips) per subscriber and batch was most of the
   * dispatcher's cost under load. A checkpoint moves only from where it was read and only when no
   * other process holds it; otherwise it is left for the next tick.
   */
  async #moveCheckpoints(passed: readonly Passed[]): Promise<void> {
    const col = <T>(pick: (p: Passed) => T) => passed.map(pick)
    await sql`
      update kernel.consumer_checkpoint c
      set tx_id = u.to_tx::xid8, event_id = u.to_id, updated_at = ${this.clock.now()}
      from unnest(${col((p) => p.consumer)}::text[], ${col((p) => p.from.txId)}::text[],
        ${col((p) => p.from.eventId)}::bigint[], ${col((p) => p.to.txId)}::text[],
        ${col((p) => p.to.eventId)}::bigint[]) as u(consumer, from_tx, from_id, to_tx, to_id)
      where c.consumer = u.consumer and c.tx_id = u.from_tx::xid8 and c.event_id = u.from_id
        and c.consumer in (
          select consumer from kernel.consumer_checkpoint
          where consumer = any(${col((p) => p.consumer)}::text[]) for update skip locked)`.execute(this.db)
  }

  /**
   * The consumers with a deliverable event past their checkpoint, with that checkpoint, in one
   * statement: an idle server then costs one cheap query per poll rather than a transaction per
   * subscriber, which matters on the embedded engine, where every statement waits for the one
   * connection.
   */
  async #consumersBehind(): Promise<Map<string, Position & { stored: boolean }>> {
    const consumers = this.#subscribers.map((s) => s.consumer)
    if (consumers.length === 0) return new Map()
    const rows = await sql<{ consumer: string; tx_id: string; event_id: number; stored: boolean }>`
      select s.consumer, coalesce(c.tx_id, '0'::xid8)::text as tx_id, coalesce(c.event_id, 0::bigint) as event_id,
        c.consumer is not null as stored
      from unnest(${consumers}::text[]) as s(consumer)
      left join kernel.consumer_checkpoint c on c.consumer = s.consumer
      where exists (
        select 1 from kernel.outbox o
        where (o.tx_id, o.id) > (coalesce(c.tx_id, '0'::xid8), coalesce(c.event_id, 0::bigint))
          and o.tx_id < pg_snapshot_xmin(pg_current_snapshot()))`.execute(this.db)
    return new Map(rows.rows.map((r) => [r.consumer, { txId: r.tx_id, eventId: r.event_id, stored: r.stored }]))
  }

  /**
   * The next deliverable rows after `from`, in delivery order. Every row not returned that sorts
   * before the last one returned cannot exist: rows are read only below the snapshot's xmin, and
   * any later row has a transaction id at or above it. So a consumer whose checkpoint lies
   * anywhere in the batch may take the rows after its checkpoint from it.
   */
  async #read(db: Kysely<OutboxTables>, from: Position): Promise<OutboxRow[]> {
    // Ordered by qualified columns: a bare `tx_id` would name the text output column, sort
    // '1000' before '999' and, past a batch, leave rows behind the checkpoint. The visibility
    // filter applies to the first rows in index order, not before the limit: rows at or above
    // xmin sort after all the others, so what it drops is a tail, and the read walks one
    // batch of the index instead of sorting the whole backlog (the planner, without statistics
    // on the embedded engine, chose the latter).
    const rows = await sql<OutboxRow>`
      select b.id, b.tx_id::text as tx_id, b.name, b.version, b.payload, b.channel, b.profile_id, b.occurred_at
      from (
        select o.* from kernel.outbox o
        where (o.tx_id, o.id) > (${from.txId}::xid8, ${from.eventId})
        order by o.tx_id, o.id
        limit ${this.options.batchSize}) b
      where b.tx_id < pg_snapshot_xmin(pg_current_snapshot())
      order by b.tx_id, b.id`.execute(db)
    return rows.rows
  }

  /**
   * One batch for one subscriber, taken from `batch` (read by the caller) or else read here;
   * returns how many events were scanned.
   */
  async deliverBatch(subscriber: Subscriber, batch?: readonly OutboxRow[]): Promise<number> {
    return inTransaction(this.db, async (tx) => {
      const at = await this.#lockCheckpoint(tx, subscriber.consumer)
      if (!at) return 0
      await planForBatch(tx)
      const rows = batch ? batch.filter((r) => before(at, position(r))) : await this.#read(tx, at)
      const end = rows.at(-1)
      if (!end) return 0
      const wanted = rows.filter((r) => wants(subscriber, r))
      if (wanted.length > 0) {
        await subscriber.handle(
          wanted.map((r) => ({
            id: r.id,
            name: r.name,
            version: r.version,
            payload: r.payload,
            channel: r.channel,
            profileId: r.profile_id,
            occurredAt: r.occurred_at,
          })),
          tx,
        )
      }
      await tx
        .updateTable('kernel.consumer_checkpoint')
        .set({ tx_id: end.tx_id, event_id: end.id, updated_at: this.clock.now() })
        .where('consumer', '=', subscriber.consumer)
        .execute()
      return rows.length
    })
  }

  async #lockCheckpoint(tx: Tx<OutboxTables>, consumer: string): Promise<Position | null> {
    const lock = () =>
      sql<{ tx_id: string; event_id: number }>`
        select tx_id::text, event_id from kernel.consumer_checkpoint
        where consumer = ${consumer} for update skip locked`.execute(tx)
    let row = (await lock()).rows[0]
    if (!row) {
      // A consumer's first delivery creates its row; a row another process holds is skipped.
      await tx
        .insertInto('kernel.consumer_checkpoint')
        .values({ consumer, tx_id: '0', event_id: 0, updated_at: this.clock.now() })
        .onConflict((oc) => oc.column('consumer').doNothing())
        .execute()
      row = (await lock()).rows[0]
    }
    return row ? { txId: row.tx_id, eventId: row.event_id } : null
  }
}
