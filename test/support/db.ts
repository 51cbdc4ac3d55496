import { readFileSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { sql, type Kysely } from 'kysely'
import { inject } from 'vitest'
import { configurationChanged } from '../../src/kernel/config-cache.js'
import { kyselyOnPglite, kyselyOnServer, type EngineKind } from '../../src/kernel/db/index.js'
import { withDatabaseName } from './postgres-url.js'

export type TestDatabase = {
  engine: EngineKind
  db: Kysely<any>
  /** For PostgreSQL: a URL other processes (servers under test) can connect with. */
  url: string | null
  /** Empties every table (keeps the schema): each test starts from nothing. */
  reset(): Promise<void>
  close(): Promise<void>
}

let counter = 0

async function createFromTemplate(serverUrl: string, template: string): Promise<string> {
  const name = `omnia_t_${process.pid}_${Date.now()}_${counter++}`
  const admin = kyselyOnServer<any>(serverUrl, 1)
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await sql.raw(`create database ${name} template ${template}`).execute(admin)
        return name
      } catch (err) {
        // Another suite copying the same template at this instant: wait and copy again.
        if (attempt > 50 || !/being accessed by other users/.test(String(err))) throw err
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200))
      }
    }
  } finally {
    await admin.destroy()
  }
}

/** A migrated, empty database of the given engine, private to the calling suite. */
export async function openTestDatabase(engine: EngineKind, poolSize = 10): Promise<TestDatabase> {
  let db: Kysely<any>
  let url: string | null = null
  let closeEngine: () => Promise<void>
  if (engine === 'pglite') {
    const pglite = await PGlite.create({ loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) })
    db = kyselyOnPglite(pglite)
    closeEngine = async () => {
      await db.destroy()
      await pglite.close()
    }
  } else {
    const serverUrl = process.env.TEST_DATABASE_URL
    const template = inject('postgresTemplate')
    if (!serverUrl || !template) throw new Error('TEST_DATABASE_URL is not set')
    const name = await createFromTemplate(serverUrl, template)
    url = withDatabaseName(serverUrl, name)
    db = kyselyOnServer(url, poolSize)
    closeEngine = async () => {
      await db.destroy()
      const admin = kyselyOnServer<any>(serverUrl, 1)
      // pg's pool.end() resolves before its sockets close; forcing the drop while they are still
      // open makes each one fail with 57P01 as an uncaught error, so let them go first.
      for (let i = 0; i < 40; i++) {
        const open = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity where datname = ${name}`.execute(admin)
        if (open.rows[0]!.n === 0) break
        await new Promise((r) => setTimeout(r, 50))
      }
      await sql.raw(`drop database if exists ${name} with (force)`).execute(admin)
      await admin.destroy()
    }
  }
  configurationChanged()
  const tables = await sql<{ name: string }>`
    select format('%I.%I', table_schema, table_name) as name from information_schema.tables
    where table_type = 'BASE TABLE'
      and table_schema not in ('pg_catalog', 'information_schema', 'public')
      and table_name not like 'kysely_migration%'`.execute(db)
  const list = tables.rows.map((r) => r.name).join(', ')
  return {
    engine,
    db,
    url,
    reset: async () => {
      configurationChanged()
      if (list) await sql.raw(`truncate ${list} restart identity cascade`).execute(db)
    },
    close: closeEngine,
  }
}
