import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { kyselyOnPglite } from '../../src/kernel/db/index.js'
import type { BenchTarget } from './engines.js'
import { closedLoop, type LoadResult } from './load.js'

/**
 * The physical limit a reservation cannot beat: one transaction holding one conditional UPDATE
 * of a stock row, issued straight over SQL by as many callers as the HTTP benchmark uses. The
 * table has stock_level's shape but lives in its own schema, made and dropped here. On the
 * embedded engine it is a separate PGlite in this process behind the same one-connection pool
 * Omnia uses (transactions run one after another); on PostgreSQL a pool of `concurrency`.
 */
export type RawSqlResult = { contended: LoadResult; uncontended: LoadResult }

async function open(target: BenchTarget, concurrency: number): Promise<{ db: Kysely<any>; close(): Promise<void> }> {
  if (target.engine === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.databaseUrl!, max: concurrency })
    // Dropping the bench database afterwards ends any connection still closing: not an error.
    pool.on('error', () => {})
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
    return { db, close: () => db.destroy() }
  }
  mkdirSync(target.scratchDir!, { recursive: true })
  const pglite = await PGlite.create(`${target.scratchDir}/pgdata`)
  const db = kyselyOnPglite<any>(pglite)
  return {
    db,
    async close() {
      await db.destroy()
      await pglite.close()
    },
  }
}

export async function measureRawSql(
  target: BenchTarget,
  options: { concurrency: number; seconds: number; skus: number },
): Promise<RawSqlResult> {
  const { db, close } = await open(target, options.concurrency)
  try {
    await sql`create schema if not exists bench_raw`.execute(db)
    await sql`create table bench_raw.stock_level (
      sku text not null, location text not null,
      on_hand bigint not null, reserved bigint not null default 0, safety_stock bigint not null default 0,
      updated_at timestamptz not null default now(),
      primary key (sku, location))`.execute(db)
    await sql`insert into bench_raw.stock_level (sku, location, on_hand)
      select 'SKU-' || lpad(i::text, 5, '0'), 'wh-1', 1000000 from generate_series(0, ${options.skus - 1}) as i
      union all select 'HOT', 'wh-1', 1000000000`.execute(db)
    const reserveOne = (sku: string) =>
      db.transaction().execute(async (tx) => {
        const result = await sql`update bench_raw.stock_level
          set reserved = reserved + 1, updated_at = now()
          where sku = ${sku} and location = 'wh-1' and on_hand - reserved - safety_stock >= 1`.execute(tx)
        return { ok: result.numAffectedRows === 1n, status: 200 }
      })
    const skuAt = () => `SKU-${String(Math.floor(Math.random() * options.skus)).padStart(5, '0')}`
    await closedLoop({ concurrency: options.concurrency, seconds: 1, send: () => reserveOne(skuAt()) })
    const contended = await closedLoop({ concurrency: options.concurrency, seconds: options.seconds, send: () => reserveOne('HOT') })
    const uncontended = await closedLoop({ concurrency: options.concurrency, seconds: options.seconds, send: () => reserveOne(skuAt()) })
    await sql`drop schema bench_raw cascade`.execute(db)
    return { contended, uncontended }
  } finally {
    await close()
  }
}
