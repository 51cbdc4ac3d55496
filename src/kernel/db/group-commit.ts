import type { Kysely, Transaction } from 'kysely'
import { DomainError } from '../errors.js'
import { inTransaction } from './transaction.js'

type Item<DB> = {
  work: (tx: Transaction<DB>) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

/**
 * Group commit: writes that arrive while a transaction is running queue up, and the next
 * transaction runs them all, one after another, then commits once. A commit (a WAL flush, and on
 * the embedded engine a BEGIN and COMMIT round trip each) is the dominant cost of a small
 * write, so under load most requests share one.
 *
 * The contract for `work`: when it throws a DomainError (a refusal such as insufficient stock)
 * it has written nothing — its writes come after its last possible refusal, or are a single
 * guarded statement. That refusal is answered to its caller alone and the others commit. Any
 * other error aborts the shared transaction; every write of that batch is then run again in a
 * transaction of its own, so one bad request never fails its neighbours.
 */
export class GroupCommit<DB> {
  #queue: Item<DB>[] = []
  #lanesBusy = 0

  /**
   * `lanes` transactions may run at once (on a PostgreSQL server they do run concurrently; on
   * the embedded engine they queue for its one session); `maxBatch` writes at most share one.
   */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly lanes = 4,
    private readonly maxBatch = 100,
  ) {}

  run<T>(work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject })
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
        await (batch.length === 1 ? this.#alone(batch[0]!) : this.#together(batch))
      }
    } finally {
      this.#lanesBusy--
    }
  }

  async #alone(item: Item<DB>) {
    try {
      item.resolve(await inTransaction(this.db, item.work))
    } catch (err) {
      item.reject(err)
    }
  }

  async #together(batch: Item<DB>[]) {
    let outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[]
    try {
      outcomes = await inTransaction(this.db, async (tx) => {
        const done: typeof outcomes = []
        for (const item of batch) {
          try {
            done.push({ ok: true, value: await item.work(tx) })
          } catch (err) {
            if (!(err instanceof DomainError)) throw err
            done.push({ ok: false, err })
          }
        }
        return done
      })
    } catch {
      // In arrival order, so the outcome is what each would have met without grouping.
      for (const item of batch) await this.#alone(item)
      return
    }
    outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.err)))
  }
}
