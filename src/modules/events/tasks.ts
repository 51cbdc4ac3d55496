import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../kernel/clock.js'
import { inTransaction, planForBatch } from '../../kernel/db/index.js'
import type { PeriodicTask } from '../../kernel/jobs/periodic.js'
import { processEvents } from './processing.js'

// Processing transactions are sized by time, not count: on the embedded engine every
// transaction waits for the one session, so a long one holds back ingestion (measured: 200
// events per transaction cut accepted events from ~10,000/s to ~60/s while a backlog was
// processed), while on a PostgreSQL server bigger batches are cheaper per event (the known-
// identity pass costs the same four queries for 20 events or 500).
const targetMs = 100
const minBatch = 10
const maxBatch = 500
let batch = 20

/** The next batch size after one that took `ms`: halve when slow, double when quick. */
export function nextBatchSize(current: number, processed: number, ms: number): number {
  if (ms > targetMs * 2) return Math.max(minBatch, Math.floor(current / 2))
  if (ms < targetMs / 2 && processed === current) return Math.min(maxBatch, current * 2)
  return current
}

/**
 * Processes every event waiting, a batch per transaction so a backlog never holds profile locks
 * (or the embedded engine's session) for long. Returns how many were processed.
 */
export async function processPendingEvents(db: Kysely<any>, clock: Clock): Promise<number> {
  let total = 0
  for (;;) {
    const size = batch
    let held = 0
    const done = await inTransaction(db, async (tx) => {
      // Timed from inside: the wait for a session is other work's time, and counting it would
      // shrink batches exactly when the engine is busiest, adding transactions to the queue.
      const started = performance.now()
      await planForBatch(tx)
      const processed = await processEvents(tx, clock, size)
      held = performance.now() - started
      return processed
    })
    batch = nextBatchSize(size, done, held)
    total += done
    if (done < size) return total
    // The embedded engine answers through promise callbacks alone, so without this turn of the
    // event loop a backlog would be processed start to end while no HTTP request is even read.
    await new Promise((resolve) => setImmediate(resolve))
  }
}

// Two processing loops per process: a loop spends most of its time waiting for the database,
// and SKIP LOCKED hands each event to one of them (on a PostgreSQL server they overlap; on the
// embedded engine they take turns).
const workers = 2

/**
 * The events module's timed work: identity resolution of received events. Polled often, since
 * an idle poll is one index probe and the poll interval is most of an event's wait for its profile.
 */
export function eventTasks(deps: { db: Kysely<any>; clock: Clock; logger: Logger }): PeriodicTask[] {
  return Array.from({ length: workers }, (_, i) => ({
    name: i === 0 ? 'events.process' : `events.process.${i + 1}`,
    everyMs: 100,
    run: async () => {
      const processed = await processPendingEvents(deps.db, deps.clock)
      if (processed > 0) deps.logger.debug({ processed }, 'events processed')
    },
  }))
}
