import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { rowsOf, type RowColumn } from './rows.js'

const columns: RowColumn[] = [['sku', 'text'], ['qty', 'bigint'], ['note', 'jsonb']]
const rowsNumbered = (n: number) =>
  Array.from({ length: n }, (_, i) => [`SKU-${i}`, i * 10, i % 2 ? null : { i }])

describe.each(engines)('rows handed to a statement on %s', (engine) => {
  let t: TestDatabase
  beforeAll(async () => {
    // One connection, so the prepared statements below are all in one session.
    t = await openTestDatabase(engine, 1)
  })
  afterAll(() => t.close())

  const read = async (rows: unknown[][], ordinality?: string) =>
    (await sql<Record<string, unknown>>`select * from ${rowsOf('r', columns, rows, ordinality)}`.execute(t.db))
      .rows

  it('reads back the same rows, typed, written out or as arrays', async () => {
    for (const n of [0, 1, 3, 8, 9, 40]) {
      const rows = rowsNumbered(n)
      const expected = rows.map(([sku, qty, note], i) => ({ sku, qty, note, ord: i + 1 }))
      expect(await read(rows, 'ord'), `${n} rows`).toEqual(expected)
      expect(await read(rows), `${n} rows`).toEqual(expected.map(({ ord: _ord, ...r }) => r))
    }
  })

  it('keeps one generic plan for a few rows; arrays of unknown length are planned per call', async () => {
    await sql`create table if not exists kernel.rows_probe (sku text primary key)`.execute(t.db)
    try {
      const few = (n: number) => sql`
        select p.sku from ${rowsOf('r', [['sku', 'text']], [[`A-${n}`], [`B-${n}`]])}
        join kernel.rows_probe p on p.sku = r.sku`
      const asArrays = (n: number) => sql`
        select p.sku from unnest(${[`A-${n}`, `B-${n}`]}::text[]) as r(sku)
        join kernel.rows_probe p on p.sku = r.sku`
      for (let n = 0; n < 8; n++) {
        await few(n).execute(t.db)
        await asArrays(n).execute(t.db)
      }
      const plans = await sql<{ statement: string; generic_plans: number; custom_plans: number }>`
        select statement, generic_plans::int, custom_plans::int from pg_prepared_statements
        where statement like '%kernel.rows_probe%'`.execute(t.db)
      const values = plans.rows.find((p) => p.statement.includes('(values'))!
      const arrays = plans.rows.find((p) => p.statement.includes('unnest'))!
      expect(values.generic_plans).toBeGreaterThan(0)
      expect(values.custom_plans).toBeLessThanOrEqual(5)
      expect(arrays.generic_plans).toBe(0)
    } finally {
      await sql`drop table kernel.rows_probe`.execute(t.db)
    }
  })
})
