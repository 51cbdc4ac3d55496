import net from 'node:net'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { statement } from './statement.js'
import { together } from './together.js'
import { inTransaction } from './transaction.js'

const probe = statement(
  (_db, p: { n: number }) =>
    sql<{ n: number }>`insert into kernel.together_probe values (${p.n}) returning n`,
)
const count = statement(
  (_db, p: { above: number }) =>
    sql<{ n: number }>`select count(*)::int as n from kernel.together_probe where n > ${p.above}`,
)
const divide = statement(
  (_db, p: { by: number }) => sql<{ v: number }>`select 1 / ${p.by}::int as v`,
)

describe.each(engines)('pieces of one transaction run together on %s', (engine) => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await openTestDatabase(engine, 1)
    await sql`create table if not exists kernel.together_probe (n int primary key)`.execute(t.db)
  })
  afterAll(async () => {
    await sql`drop table kernel.together_probe`.execute(t.db)
    await t.close()
  })
  beforeEach(() => sql`truncate kernel.together_probe`.execute(t.db))

  const stored = async () =>
    (
      await sql<{ n: number }>`select n from kernel.together_probe order by n`.execute(t.db)
    ).rows.map((r) => r.n)

  it('answers each piece its own rows, in argument order, and pieces go on statement by statement', async () => {
    const answer = await inTransaction(t.db, (tx) =>
      together(
        tx,
        async () => (await probe.execute(tx, { n: 1 }))[0]!.n,
        async () => {
          const [first] = await probe.execute(tx, { n: 2 })
          // A piece's second statement sees the writes the first batch made.
          const [seen] = await count.execute(tx, { above: 0 })
          return [first!.n, seen!.n]
        },
        async () => (await divide.execute(tx, { by: 1 }))[0]!.v,
      ),
    )
    expect(answer).toEqual([1, [2, 2], 1])
    expect(await stored()).toEqual([1, 2])
  })

  it('throws the error that aborted the transaction, not the refusals queued behind it, and writes nothing', async () => {
    const failing = inTransaction(t.db, (tx) =>
      together(
        tx,
        () => probe.execute(tx, { n: 1 }),
        () => divide.execute(tx, { by: 0 }),
        // Sent behind the division: refused only because the transaction had already failed.
        () => probe.execute(tx, { n: 3 }),
      ),
    )
    await expect(failing).rejects.toThrow(/division by zero/)
    expect(await stored()).toEqual([])
    await inTransaction(t.db, (tx) => probe.execute(tx, { n: 4 }))
    expect(await stored()).toEqual([4])
  })

  it('throws the first failure in argument order once every piece has finished', async () => {
    const finished: string[] = []
    const failing = inTransaction(t.db, (tx) =>
      together(
        tx,
        async () => {
          await probe.execute(tx, { n: 1 })
          finished.push('writer')
        },
        async () => {
          finished.push('refusal')
          throw new Error('first refusal')
        },
        async () => {
          throw new Error('second refusal')
        },
      ),
    )
    await expect(failing).rejects.toThrow('first refusal')
    expect(finished.sort()).toEqual(['refusal', 'writer'])
    expect(await stored()).toEqual([])
  })

  it('refuses to nest and leaves the transaction usable afterwards', async () => {
    await inTransaction(t.db, async (tx) => {
      await expect(together(tx, () => together(tx, async () => 1))).rejects.toThrow(/do not nest/)
      await together(tx, () => probe.execute(tx, { n: 5 }))
      await probe.execute(tx, { n: 6 })
    })
    expect(await stored()).toEqual([5, 6])
  })
})

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'round trips of pieces run together on a PostgreSQL server',
  () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await openTestDatabase('postgres', 1)
      await sql`create table if not exists kernel.together_probe (n int primary key)`.execute(t.db)
    })
    afterAll(async () => {
      await sql`drop table kernel.together_probe`.execute(t.db)
      await t.close()
    })

    it('writes BEGIN and three pieces’ statements in one go: two writes with the COMMIT, not four', async () => {
      // Warm the connection, so that only the transaction's own writes are counted.
      await sql`select 1`.execute(t.db)
      let writes = 0
      const toServer = (socket: net.Socket) =>
        socket.remotePort === Number(new URL(process.env.TEST_DATABASE_URL!).port || 5432)
      const spies = (['_write', '_writev'] as const).map((method) => {
        const original = net.Socket.prototype[method] as (...a: unknown[]) => unknown
        return vi.spyOn(net.Socket.prototype, method).mockImplementation(function (
          this: net.Socket,
          ...a: unknown[]
        ) {
          if (toServer(this)) writes++
          return original.apply(this, a)
        } as never)
      })
      try {
        const answer = await inTransaction(t.db, (tx) =>
          together(
            tx,
            () => probe.execute(tx, { n: 1 }),
            () => probe.execute(tx, { n: 2 }),
            () => divide.execute(tx, { by: 1 }),
          ),
        )
        expect(answer.map((rows) => rows.length)).toEqual([1, 1, 1])
        expect(writes).toBe(2)
      } finally {
        for (const spy of spies) spy.mockRestore()
      }
    })
  },
)
