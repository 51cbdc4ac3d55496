import type { Kysely, Transaction } from 'kysely'
import { DomainError } from '../errors.js'
import { inTransaction } from './transaction.js'

/** What one item of a group came to: its result, or the refusal answered to it alone. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: DomainError }

type Pending<I, O> = { input: I; resolve: (value: O) => void; reject: (err: unknown) => void }

/**
 * Group commit: items that arrive while a transaction is running queue up, and the next
 * transaction handles all of them through `handle` (one statement for the lot, where it can),
 * then commits once. A commit — a WAL flush, and BEGIN and COMMIT round trips — is the dominant
 * cost of a small write, so under load most requests share one.
 *
 * `handle` settles each item: a DomainError settled for an item (a refusal such as insufficient
 * stock) must mean that item wrote nothing, and is answered to its caller alone while the others
 * commit. Anything `handle` throws aborts the shared transaction; every item of that group is
 * then handled again in a transaction of its own, in arrival order, so one bad request never
 * fails its neighbours.
 */
export class BatchQueue<DB, I, O> {
  #queue: Pending<I, O>[] = []
  #lanesBusy = 0

  /**
   * `lanes` transactions may run at once (on a PostgreSQL server they run concurrently; on the
   * embedded engine they queue for its one session); at most `maxBatch` items share one.
   */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly handle: (tx: Transaction<DB>, inputs: readonly I[]) => Promise<Settled<O>[]>,
    private readonly lanes = 4,
    private readonly maxBatch = 100,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject })
      if (this.#lanesBusy < this.lanes) void this.#drain()
    })
  }

  async #drain() {
    this.#lanesBusy++
    try {
      while (this.#queue.length > 0) {
        // The embedded engine answers through promise callbacks alone: a transaction would run
        // start to end without ever letting another request reach this queue. One turn of the
        // event loop lets every request already received line up first.
        await new Promise((resolve) => setImmediate(resolve))
        const batch = this.#queue.splice(0, this.maxBatch)
        if (batch.length > 0) await this.#commit(batch)
      }
    } finally {
      this.#lanesBusy--
    }
  }

  async #commit(batch: Pending<I, O>[]) {
    let outcomes: Settled<O>[]
    try {
      outcomes = await inTransaction(this.db, (tx) => this.handle(tx, batch.map((p) => p.input)))
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err)
      for (const item of batch) await this.#commit([item])
      return
    }
    outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)))
  }
}
