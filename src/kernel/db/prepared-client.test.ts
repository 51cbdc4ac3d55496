import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction, planForBatch } from './transaction.js'

describe.each(engines)('prepared statements on %s', (engine) => {
  let t: TestDatabase
  beforeAll(async () => {
    // One connection, so every statement below runs in the session that is inspected.
    t = await openTestDatabase(engine, 1)
  })
  afterAll(() => t.close())

  const prepared = async (fragment: string) => {
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from pg_prepared_statements
      where statement like ${`%${fragment}%`} and statement not like '%pg_prepared_statements%'`.execute(t.db)
    return rows.rows[0]!.n
  }

  it('prepares a parameterised statement once per session and reuses it with other values', async () => {
    for (const n of [1, 2, 3]) {
      const row = await sql<{ v: number }>`select ${n}::int + 40 as v /* probe-reuse */`.execute(t.db)
      expect(row.rows[0]!.v).toBe(n + 40)
    }
    expect(await prepared('probe-reuse')).toBe(1)
  })

  it('runs statements without parameters and very long ones unprepared', async () => {
    await sql`select 1 /* probe-plain */`.execute(t.db)
    const values = Array.from({ length: 900 }, (_, i) => i)
    const long = await sql<{ n: number }>`
      select count(*)::int as n from (values ${sql.join(values.map((v) => sql`(${v}::int)`))}) v(x) /* probe-long */`.execute(t.db)
    expect(long.rows[0]!.n).toBe(900)
    expect(await prepared('probe-plain')).toBe(0)
    expect(await prepared('probe-long')).toBe(0)
  })

  it('keeps errors and transactions working through a prepared statement', async () => {
    const fail = () => sql`select 1 / ${0}::int /* probe-error */`.execute(t.db)
    await expect(fail()).rejects.toThrow(/division by zero/)
    await expect(fail()).rejects.toThrow(/division by zero/)
    const row = await t.db.transaction().execute((tx) => sql<{ v: string }>`select ${'ok'}::text as v /* probe-tx */`.execute(tx))
    expect(row.rows[0]!.v).toBe('ok')
  })

  it('plans a batch transaction for its own parameters, and only that transaction', async () => {
    const modeOf = (db: Kysely<any>) =>
      sql<{ m: string }>`select current_setting('plan_cache_mode') as m`.execute(db).then((r) => r.rows[0]!.m)
    const inside = await inTransaction(t.db, async (tx) => {
      await planForBatch(tx)
      return modeOf(tx)
    })
    expect(inside).toBe('force_custom_plan')
    expect(await modeOf(t.db)).toBe('auto')
  })
})
