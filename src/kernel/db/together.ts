import { CompiledQuery, type Transaction } from 'kysely'

/**
 * The text of a query whose parameters are compiled statements: PreparingClient writes them
 * all at once and answers, per statement, its rows or its error (see `Pipelined`).
 */
export const pipelineMarker = '-- pipeline'

/** What PreparingClient answers per statement of a pipelined query. */
export type Pipelined = { rows: unknown[] } | { error: unknown }

type Waiting = { query: CompiledQuery; resolve(rows: unknown[]): void; reject(err: unknown): void }

type Batch = { waiting: Waiting[]; scheduled: boolean }

const batches = new WeakMap<object, Batch>()

// A statement sent after another failed in the same transaction is refused with this state;
// the error worth answering is the one that aborted the transaction.
const inFailedTransaction = '25P02'

/**
 * Runs independent pieces of work of one transaction side by side and answers their results in
 * order, like `Promise.all`. The statements (`statement()`) they issue while waiting on nothing
 * else go to the database together: one write and one wake-up on each side instead of one per
 * statement. An order's placement asks for its prices, its customer, its stock reservation and
 * its number this way.
 *
 * The pieces must not depend on one another's writes, and each must be correct whatever ran
 * before it. When several fail, the error of the first in argument order is thrown, except that
 * a statement refused only because an earlier one had already aborted the transaction never
 * hides the error that aborted it. All pieces have finished when this settles, so nothing of
 * theirs runs on after a rollback. Calls on one transaction do not nest.
 */
export async function together<T extends readonly unknown[]>(
  tx: Transaction<any>,
  ...work: { [K in keyof T]: () => Promise<T[K]> }
): Promise<T> {
  if (batches.has(tx)) throw new Error('together() calls on one transaction do not nest')
  batches.set(tx, { waiting: [], scheduled: false })
  try {
    const settled = await Promise.allSettled(work.map(async (piece) => piece()))
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []))
    if (failures.length > 0)
      throw (
        failures.find((e) => (e as { code?: unknown })?.code !== inFailedTransaction) ?? failures[0]
      )
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T
  } finally {
    batches.delete(tx)
  }
}

/**
 * The rows of `query` in `tx`: inside `together`, sent with whatever else the pieces ask for
 * before the event loop turns; otherwise at once.
 */
export async function queuedRows<R>(tx: Transaction<any>, query: CompiledQuery<R>): Promise<R[]> {
  const batch = batches.get(tx)
  if (!batch) return (await tx.executeQuery(query)).rows
  return new Promise<R[]>((resolve, reject) => {
    batch.waiting.push({ query, resolve: resolve as (rows: unknown[]) => void, reject })
    if (batch.scheduled) return
    batch.scheduled = true
    // After every piece has run up to its next statement (cached reads resolve in microtasks).
    setImmediate(() => void flush(tx, batch))
  })
}

async function flush(tx: Transaction<any>, batch: Batch): Promise<void> {
  batch.scheduled = false
  const waiting = batch.waiting.splice(0)
  try {
    if (waiting.length === 1) {
      waiting[0]!.resolve((await tx.executeQuery(waiting[0]!.query)).rows)
      return
    }
    const query = CompiledQuery.raw(
      pipelineMarker,
      waiting.map((w) => w.query),
    )
    const { rows } = await tx.executeQuery<Pipelined>(query)
    rows.forEach((answer, i) =>
      'error' in answer ? waiting[i]!.reject(answer.error) : waiting[i]!.resolve(answer.rows),
    )
  } catch (err) {
    for (const w of waiting) w.reject(err)
  }
}
