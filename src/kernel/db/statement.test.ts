import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction, beforeCommit } from './transaction.js'
import { statement } from './statement.js'

type Probe = {
  'kernel.statement_probe': { id: string; n: number | null; tags: string[] | null; at: Date | null }
}
type Row = Probe['kernel.statement_probe']

const insertRows = statement((db: Kysely<Probe>, p: { rows: (Pick<Row, 'id'> & Partial<Row>)[] }) =>
  db.insertInto('kernel.statement_probe').values(p.rows).returningAll(),
)

// Values as one array parameter, a value used twice, and a branch on null.
const find = statement(
  (db: Kysely<Probe>, p: { ids: string[]; n: number | null; limit: number }) => {
    const q = db
      .selectFrom('kernel.statement_probe')
      .selectAll()
      .where(sql<boolean>`id = any(${p.ids}::text[])`)
      .orderBy('id')
      .limit(p.limit)
    if (p.n === null) return q.where('n', 'is', null)
    return q.where('n', '>=', p.n).where('n', '<', sql<number>`${p.n} + 10`)
  },
)

describe('statement(), built once per shape', () => {
  it('reuses the text for the same shape and puts each call’s values in order', () => {
    const a = insertRows.compile({ rows: [{ id: 'a', n: 1, tags: ['x'], at: null }] })
    const b = insertRows.compile({ rows: [{ id: 'b', n: 2, tags: ['y', 'z'], at: null }] })
    expect(b.sql).toBe(a.sql)
    expect(b.parameters).toEqual(['b', 2, ['y', 'z'], null])
  })

  it('compiles another text when keys, row counts or nulls differ', () => {
    const one = insertRows.compile({ rows: [{ id: 'a', n: 1 }] })
    const two = insertRows.compile({ rows: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }] })
    const other = insertRows.compile({ rows: [{ id: 'a', tags: ['t'] }] })
    const skipped = insertRows.compile({ rows: [{ id: 'a', n: undefined }] })
    expect(new Set([one.sql, two.sql, other.sql, skipped.sql]).size).toBe(4)
    expect(skipped.sql).not.toContain('"n"')
    expect(find.compile({ ids: ['a'], n: null, limit: 5 }).sql).toContain('is null')
    expect(find.compile({ ids: ['a'], n: 3, limit: 5 }).sql).not.toContain('is null')
  })

  it('refuses a build that reads a value instead of passing it on', () => {
    const reads = statement((db: Kysely<Probe>, p: { id: string }) =>
      db.selectFrom('kernel.statement_probe').selectAll().where('id', '=', `${p.id}-x`),
    )
    const stringifies = statement((db: Kysely<Probe>, p: { n: number }) =>
      db
        .selectFrom('kernel.statement_probe')
        .selectAll()
        .where(sql<boolean>`${JSON.stringify(p.n)}`),
    )
    expect(() => reads.compile({ id: 'a' })).toThrow(/never other values/)
    expect(() => stringifies.compile({ n: 1 })).toThrow(/never other values/)
    expect(() => insertRows.compile({ rows: [{ id: sql`'a'` as never }] })).toThrow(/plain data/)
  })
})

describe.each(engines)('statement() on %s', (engine) => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await openTestDatabase(engine, 2)
    await sql`
      create table kernel.statement_probe (
        id text primary key, n int, tags text[], at timestamptz
      )`.execute(t.db)
  })
  afterAll(() => t.close())

  it('writes and reads the values of every call, whatever shapes came before', async () => {
    const at = new Date('2026-11-26T10:00:00.000Z')
    await insertRows.execute(t.db, { rows: [{ id: 'r1', n: 1, tags: ['a'], at }] })
    await insertRows.execute(t.db, { rows: [{ id: 'r2', n: 12, tags: null, at: null }] })
    const many = Array.from({ length: 5 }, (_, i) => ({ id: `m${i}`, n: 20 + i }))
    expect(await insertRows.execute(t.db, { rows: many })).toHaveLength(5)
    await insertRows.execute(t.db, { rows: [{ id: 'r3' }] })

    const ids = ['r1', 'r2', 'r3', 'm0', 'm1', 'm2']
    const rows = await find.execute(t.db, { ids, n: 20, limit: 10 })
    expect(rows.map((r) => r.id)).toEqual(['m0', 'm1', 'm2'])
    expect((await find.execute(t.db, { ids, n: 10, limit: 10 })).map((r) => r.id)).toEqual(['r2'])
    expect((await find.execute(t.db, { ids, n: 0, limit: 1 })).map((r) => r.id)).toEqual(['r1'])
    expect((await find.execute(t.db, { ids, n: null, limit: 10 })).map((r) => r.id)).toEqual(['r3'])
    const [first] = await find.execute(t.db, { ids: ['r1'], n: 1, limit: 1 })
    expect(first).toEqual({ id: 'r1', n: 1, tags: ['a'], at })
  })

  it('joins the statement written at commit, its placeholders renumbered', async () => {
    await inTransaction(t.db, async (tx) => {
      await insertRows.execute(tx, { rows: [{ id: 'c0', n: 100 }] })
      const c1 = insertRows.compile({ rows: [{ id: 'c1', n: 101, tags: ['p'] }] })
      const c2 = insertRows.compile({ rows: [{ id: 'c2', n: 102, tags: ['q'] }] })
      beforeCommit(tx, 'first', () => c1)
      beforeCommit(tx, 'second', () => c2)
    })
    const rows = await find.execute(t.db, { ids: ['c0', 'c1', 'c2'], n: 100, limit: 5 })
    expect(rows.map((r) => [r.id, r.n, r.tags])).toEqual([
      ['c0', 100, null],
      ['c1', 101, ['p']],
      ['c2', 102, ['q']],
    ])
  })
})
