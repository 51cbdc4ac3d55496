import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { DomainError } from '../errors.js'
import type { Transaction } from 'kysely'
import { BatchQueue, type Settled } from './group-commit.js'

type Work = (tx: Transaction<any>) => Promise<number>

/** A queue whose items are functions, each run in turn inside the shared transaction. */
function groupOf(db: TestDatabase['db']) {
  return new BatchQueue(db, async (tx, works: readonly Work[]) => {
    const settled: Settled<number>[] = []
    for (const work of works) {
      try {
        settled.push({ ok: true, value: await work(tx) })
      } catch (err) {
        if (!(err instanceof DomainError)) throw err
        settled.push({ ok: false, error: err })
      }
    }
    return settled
  }, 1)
}

describe.each(engines)('group commit on %s', (engine) => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await openTestDatabase(engine)
    await sql`create table if not exists kernel.group_commit_probe (n int primary key)`.execute(t.db)
  })
  afterAll(async () => {
    await sql`drop table kernel.group_commit_probe`.execute(t.db)
    await t.close()
  })
  beforeEach(() => sql`truncate kernel.group_commit_probe`.execute(t.db))

  const insert = (n: number): Work => (tx) =>
    sql`insert into kernel.group_commit_probe values (${n})`.execute(tx).then(() => n)
  const stored = async () =>
    (await sql<{ n: number }>`select n from kernel.group_commit_probe order by n`.execute(t.db)).rows.map((r) => r.n)

  it('commits many concurrent writes, answering each its own result', async () => {
    const group = groupOf(t.db)
    const results = await Promise.all(Array.from({ length: 50 }, (_, n) => group.submit(insert(n))))
    expect(results).toEqual(Array.from({ length: 50 }, (_, n) => n))
    expect(await stored()).toEqual(results)
  })

  it('answers a refusal to its caller alone while the others commit', async () => {
    const group = groupOf(t.db)
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        group.submit(async (tx) => {
          if (n % 5 === 0) throw new DomainError('insufficient-stock', `no ${n}`)
          return insert(n)(tx)
        }),
      ),
    )
    const refused = outcomes.flatMap((o, n) => (o.status === 'rejected' ? [n] : []))
    expect(refused).toEqual([0, 5, 10, 15])
    expect(await stored()).toEqual(Array.from({ length: 20 }, (_, n) => n).filter((n) => n % 5 !== 0))
  })

  it('reruns every write of a batch alone when one of them breaks the shared transaction', async () => {
    const group = groupOf(t.db)
    // 7 is written twice: the second insert violates the key and aborts whatever shares its commit.
    const outcomes = await Promise.allSettled([1, 2, 7, 3, 7, 4].map((n) => group.submit(insert(n))))
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect(await stored()).toEqual([1, 2, 3, 4, 7])
  })
})
