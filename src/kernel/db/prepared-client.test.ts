import { sql, type Kysely } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { PgliteConnection } from './pglite-connection.js'
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

  it('describes a statement’s result columns once per session and parses later answers alike', async () => {
    const connection = engine === 'pglite' ? PgliteConnection : pg.Connection
    const describes = vi.spyOn(connection.prototype, 'describe')
    try {
      const run = (n: number) => sql<Record<string, unknown>>`
        select ${n}::bigint as big, ${JSON.stringify({ n })}::jsonb as doc,
               ${new Date(n * 1000)}::timestamptz as at, null::text as nothing
        from generate_series(1, 2) /* probe-described */`.execute(t.db)
      for (const n of [1, 2, 3]) {
        const row = { big: n, doc: { n }, at: new Date(n * 1000), nothing: null }
        expect((await run(n)).rows).toEqual([row, row])
      }
      expect(describes).toHaveBeenCalledTimes(1)
      // Refused while binding, before any description: described again by the next execution.
      const cast = (v: string) =>
        sql<{ v: number }>`select ${v}::int as v /* probe-bind */`.execute(t.db)
      await expect(cast('five')).rejects.toThrow(/invalid input syntax/)
      expect((await cast('5')).rows).toEqual([{ v: 5 }])
      expect((await cast('6')).rows).toEqual([{ v: 6 }])
      // Without result columns: nothing to describe after the first time, rows still counted.
      await sql`create temporary table probe_nodata (n int)`.execute(t.db)
      for (const n of [1, 2]) {
        const insert = await sql`insert into probe_nodata values (${n}) /* probe-nodata */`.execute(
          t.db,
        )
        expect(insert.numAffectedRows).toBe(1n)
      }
      expect(describes).toHaveBeenCalledTimes(4)
    } finally {
      describes.mockRestore()
    }
  })

  it('keeps a statement usable after a value that could not be sent', async () => {
    const circular: Record<string, unknown> = {}
    circular.self = circular
    const run = (v: unknown) =>
      sql<{ v: unknown }>`select ${v}::jsonb as v /* probe-unsendable */`.execute(t.db)
    await expect(run(circular)).rejects.toThrow(/circular/i)
    expect((await run({ a: 1 })).rows).toEqual([{ v: { a: 1 } }])
    expect((await run({ a: 2 })).rows).toEqual([{ v: { a: 2 } }])
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
