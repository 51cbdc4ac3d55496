import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { commitFollows, PreparingClient } from './prepared-client.js'
import { beforeCommit, inTransaction } from './transaction.js'

type Executor = Kysely<any>

describe.each(engines)('transactions with a held BEGIN and a trailing COMMIT on %s', (engine) => {
  let t: TestDatabase
  beforeAll(async () => {
    // One connection: every transaction below runs in the same session, one after another.
    t = await openTestDatabase(engine, 1)
    await sql`create table if not exists kernel.round_trip_probe (n int primary key)`.execute(t.db)
  })
  afterAll(async () => {
    await sql`drop table kernel.round_trip_probe`.execute(t.db)
    await t.close()
  })
  beforeEach(() => sql`truncate kernel.round_trip_probe`.execute(t.db))

  const stored = async () =>
    (await sql<{ n: number }>`select n from kernel.round_trip_probe order by n`.execute(t.db)).rows.map((r) => r.n)
  const insert = (n: number) => sql`insert into kernel.round_trip_probe values (${n})`
  // Whether the session (or the transaction `on` runs in) has a transaction open on the server.
  const inSession = async (on: Executor = t.db) =>
    (await sql<{ s: string }>`select (pg_current_xact_id_if_assigned() is not null)::text as s`.execute(on)).rows[0]!.s

  it('commits the statements and the one written with the COMMIT', async () => {
    await inTransaction(t.db, async (tx) => {
      await insert(1).execute(tx)
      beforeCommit(tx, 'probe', () => insert(2).compile(tx))
    })
    expect(await stored()).toEqual([1, 2])
  })

  it('rolls everything back when the statement written with the COMMIT fails, and the session goes on', async () => {
    const failing = inTransaction(t.db, async (tx) => {
      await insert(1).execute(tx)
      // A duplicate key in the last statement: the COMMIT behind it becomes a ROLLBACK.
      beforeCommit(tx, 'probe', () => insert(1).compile(tx))
    })
    await expect(failing).rejects.toThrow(/duplicate key/)
    expect(await stored()).toEqual([])
    expect(await inSession()).toBe('false')
    await inTransaction(t.db, (tx) => insert(3).execute(tx))
    expect(await stored()).toEqual([3])
  })

  it('rolls back when the first statement, written with the BEGIN, fails', async () => {
    const failing = inTransaction(t.db, (tx) => sql`select 1 / ${0}::int`.execute(tx))
    await expect(failing).rejects.toThrow(/division by zero/)
    await inTransaction(t.db, async (tx) => {
      await insert(4).execute(tx)
      // Inside a transaction again: the BEGIN went out with the insert.
      expect(await inSession(tx)).toBe('true')
    })
    expect(await stored()).toEqual([4])
  })

  it('runs a transaction that sends no statement without leaving one open', async () => {
    expect(await inTransaction(t.db, async () => 'nothing')).toBe('nothing')
    await expect(t.db.transaction().execute(async () => {
      throw new Error('refused before any statement')
    })).rejects.toThrow(/refused/)
    expect(await inSession()).toBe('false')
    await inTransaction(t.db, (tx) => insert(5).execute(tx))
    expect(await stored()).toEqual([5])
  })

  it('keeps statements of one transaction apart from a concurrent one', async () => {
    await Promise.all([1, 2, 3, 4].map((n) => inTransaction(t.db, async (tx) => {
      await insert(n * 10).execute(tx)
      beforeCommit(tx, 'probe', () => insert(n * 10 + 1).compile(tx))
    })))
    expect(await stored()).toEqual([10, 11, 20, 21, 30, 31, 40, 41])
  })
})

describe.skipIf(!process.env.TEST_DATABASE_URL)('round trips of a transaction on a PostgreSQL server', () => {
  let client: PreparingClient
  let writes = 0
  beforeAll(async () => {
    client = new PreparingClient({ connectionString: process.env.TEST_DATABASE_URL, pipeline: true } as never)
    await client.connect()
    // Every write to the socket, corked or not, reaches the kernel through one of these.
    const socket = (client as unknown as { connection: { stream: Record<string, (...a: unknown[]) => unknown> } }).connection.stream
    for (const method of ['_write', '_writev']) {
      const original = socket[method]!.bind(socket)
      socket[method] = (...a: unknown[]) => {
        writes++
        return original(...a)
      }
    }
  })
  afterAll(() => client.end())

  it('discards a connection lost with the COMMIT in flight, and the next transaction gets another', async () => {
    const t = await openTestDatabase('postgres', 1)
    try {
      const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(t.db)).rows[0]!.pid
      const before = await pid()
      const lost = inTransaction(t.db, async (tx) => {
        await sql`select 1`.execute(tx)
        beforeCommit(tx, 'probe', () => sql`select pg_terminate_backend(pg_backend_pid())`.compile(tx))
      })
      await expect(lost).rejects.toThrow(/terminat|connection/i)
      expect(await inTransaction(t.db, async (tx) => (await sql<{ v: number }>`select ${7}::int as v`.execute(tx)).rows[0]!.v)).toBe(7)
      expect(await pid()).not.toBe(before)
    } finally {
      await t.close()
    }
  })

  it('writes BEGIN with the first statement and COMMIT with the last: three writes, not five', async () => {
    writes = 0
    await client.query('begin')
    const first = await client.query('select $1::int as v', [1])
    const middle = await client.query('select $1::int as v', [2])
    const last = await client.query(`select $1::int as v${commitFollows}`, [3])
    const commit = await client.query('commit')
    expect([first.rows[0].v, middle.rows[0].v, last.rows[0].v, commit.command]).toEqual([1, 2, 3, 'COMMIT'])
    expect(writes).toBe(3)
    expect((await client.query('select (pg_current_xact_id_if_assigned() is not null) as open')).rows[0].open).toBe(false)
  })
})
