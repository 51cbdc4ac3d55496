import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { toSafeInteger } from '../money.js'
import { lockDataDir } from './data-dir-lock.js'
import { pgliteConfig } from './pglite-connection.js'
import { PreparingClient } from './prepared-client.js'

export type EngineKind = 'pglite' | 'postgres'

/** An open database: the Kysely instance every module uses, whichever engine is underneath. */
export type Engine<DB = unknown> = {
  readonly kind: EngineKind
  readonly db: Kysely<DB>
  close(): Promise<void>
}

// bigint columns hold money and counters: read them as numbers, refusing anything unsafe.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => toSafeInteger(value))
// Instants go to the server in UTC: the same value as local time with an offset, without the
// time-zone lookups that formatting each Date in local time costs on every bound parameter.
pg.defaults.parseInputDatesAsUTC = true

/**
 * PGlite is one PostgreSQL session, so Kysely reaches it through a pool of exactly one
 * connection: a transaction holds the connection until it ends, and every other query or
 * transaction waits its turn. Whole transactions therefore run one after another, never
 * interleaved on the shared session (the failure mode of drivers that hand the session out
 * to concurrent transactions).
 */
export function kyselyOnPglite<DB>(pglite: PGlite): Kysely<DB> {
  const pool = new pg.Pool({ ...pgliteConfig(pglite), max: 1, Client: PreparingClient } as pg.PoolConfig)
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
}

/**
 * A pool of PostgreSQL server connections in pipeline mode, so that PreparingClient can write a
 * held BEGIN or a trailing COMMIT in the same round trip as a statement.
 */
export function kyselyOnServer<DB>(connectionString: string, poolSize = 10): Kysely<DB> {
  const pool = new pg.Pool({ connectionString, max: poolSize, Client: PreparingClient, pipeline: true } as pg.PoolConfig)
  // An idle connection that fails is dropped from the pool, and the next query opens another;
  // unheard, the pool's 'error' event would end the process.
  pool.on('error', () => {})
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
}

export type EngineOptions = { databaseUrl?: string; dataDir: string; poolSize?: number }

/**
 * Opens the PostgreSQL server named by `databaseUrl`, or else the embedded engine in `dataDir`
 * (created when missing). The embedded folder is locked for this process: a second Omnia
 * pointed at the same folder is refused instead of corrupting it.
 */
export async function openEngine<DB>(options: EngineOptions): Promise<Engine<DB>> {
  if (options.databaseUrl) {
    const db = kyselyOnServer<DB>(options.databaseUrl, options.poolSize)
    return { kind: 'postgres', db, close: () => db.destroy() }
  }
  const dataDir = resolve(options.dataDir)
  mkdirSync(dataDir, { recursive: true })
  const unlock = lockDataDir(dataDir)
  try {
    const pglite = await PGlite.create(`${dataDir}/pgdata`)
    const db = kyselyOnPglite<DB>(pglite)
    return {
      kind: 'pglite',
      db,
      async close() {
        await db.destroy()
        await pglite.close()
        unlock()
      },
    }
  } catch (err) {
    unlock()
    throw err
  }
}
