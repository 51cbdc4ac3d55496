import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql, type Kysely } from 'kysely'
import type { TestProject } from 'vitest/node'
import { kyselyOnPglite, kyselyOnServer, migrateToLatest } from '../../src/kernel/db/index.js'
import { migrations } from '../../src/modules.js'
import { withDatabaseName } from './postgres-url.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string
    postgresTemplate: string | null
  }
}

/**
 * Migrates one embedded database and one PostgreSQL database once per run; every suite starts
 * from a copy (a PGlite data dump, a PostgreSQL TEMPLATE) instead of migrating again.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'omnia-test-'))
  const pglite = await PGlite.create()
  const db = kyselyOnPglite<any>(pglite)
  await migrateToLatest(db, migrations)
  const dump = await pglite.dumpDataDir('none')
  const templatePath = join(dir, 'pglite-template.tar')
  writeFileSync(templatePath, Buffer.from(await dump.arrayBuffer()))
  await db.destroy()
  await pglite.close()
  project.provide('pgliteTemplate', templatePath)

  const url = process.env.TEST_DATABASE_URL
  let template: string | null = null
  if (url) {
    template = `omnia_tpl_${process.pid}_${Date.now()}`
    const admin = kyselyOnServer<any>(url, 1)
    await sql.raw(`create database ${template}`).execute(admin)
    await admin.destroy()
    const tdb = kyselyOnServer<any>(withDatabaseName(url, template), 1)
    await migrateToLatest(tdb, migrations)
    await tdb.destroy()
  }
  project.provide('postgresTemplate', template)

  return async () => {
    rmSync(dir, { recursive: true, force: true })
    if (url && template) {
      const admin = kyselyOnServer<any>(url, 1)
      await dropDatabase(admin, template)
      await admin.destroy()
    }
  }
}

async function dropDatabase(admin: Kysely<any>, name: string) {
  await sql.raw(`drop database if exists ${name} with (force)`).execute(admin)
}
