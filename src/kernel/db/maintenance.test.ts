import { sql, type Kysely } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { maintainTables, maintenanceTasks } from './maintenance.js'

const rows = 2_000

async function churn(db: Kysely<any>, table: string, times: number) {
  for (let i = 0; i < times; i++) await sql`update ${sql.table(table)} set n = n + 1`.execute(db)
}

const sizeOf = async (db: Kysely<any>, table: string) =>
  (await sql<{ bytes: number }>`select pg_relation_size(${table}) as bytes`.execute(db)).rows[0]!
    .bytes

const ours = (table: string) => (t: { table: string }) => t.table === table

// Only the embedded engine needs it (a server has autovacuum, which would race with the test).
describe('table maintenance on the embedded engine', () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await openTestDatabase('pglite')
    for (const [name, options] of [
      ['maintained', sql``],
      ['neglected', sql`with (autovacuum_enabled = off)`],
    ] as const) {
      await sql`create table ${sql.table(`kernel.${name}`)} (id int primary key, n int, pad text)
        ${options}`.execute(t.db)
      await sql`insert into ${sql.table(`kernel.${name}`)}
        select g, 0, repeat('x', 100) from generate_series(1, ${rows}) g`.execute(t.db)
    }
  })
  afterAll(() => t.close())

  it('vacuums and analyzes a churned table, then skips it until it churns again', async () => {
    await churn(t.db, 'kernel.maintained', 3)
    const first = await maintainTables(t.db)
    expect(first.filter(ours('kernel.maintained'))).toEqual([
      { table: 'kernel.maintained', action: 'vacuum', ms: expect.any(Number) },
    ])
    const stats = await sql<{ reltuples: number; dead: number }>`
      select c.reltuples, s.n_dead_tup as dead
      from pg_class c join pg_stat_all_tables s on s.relid = c.oid
      where c.oid = 'kernel.maintained'::regclass`.execute(t.db)
    expect(stats.rows[0]).toEqual({ reltuples: rows, dead: 0 })
    expect((await maintainTables(t.db)).filter(ours('kernel.maintained'))).toEqual([])
  })

  it('keeps a table that is updated over and over to a bounded size', async () => {
    const cycles = 5
    const sizes: number[] = []
    for (let i = 0; i < cycles; i++) {
      await churn(t.db, 'kernel.maintained', 4)
      await churn(t.db, 'kernel.neglected', 4)
      await maintainTables(t.db)
      sizes.push(await sizeOf(t.db, 'kernel.maintained'))
    }
    // Space freed by each vacuum is reused by the next round of updates.
    expect(sizes.at(-1)).toBeLessThanOrEqual(sizes[1]! * 1.2)
    // Its twin, set out of (auto)vacuum's reach, holds every version it ever wrote.
    expect(await sizeOf(t.db, 'kernel.neglected')).toBeGreaterThan(sizes.at(-1)! * 2)
  })

  it('runs as a periodic task there, and not on a PostgreSQL server', () => {
    const names = (kind: 'pglite' | 'postgres') =>
      maintenanceTasks(kind, t.db, pino({ level: 'silent' })).map((task) => task.name)
    expect(names('pglite')).toEqual(['kernel.maintain-tables'])
    expect(names('postgres')).toEqual([])
  })
})
