import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import type { EngineKind } from '../../src/kernel/db/index.js'
import { openTestDatabase } from '../support/db.js'
import { restoreDataDir, type ServerOptions } from '../support/server-process.js'

/**
 * A new embedded data folder holding the run's migrated template: the server under test starts
 * in about a second. Suites about the very first start use an empty folder instead.
 */
export async function templateDataDir(name: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `omnia-${name}-`))
  await restoreDataDir(inject('pgliteTemplate'), dir)
  return dir
}

/** Where a process suite's servers keep their data, and how to throw it away afterwards. */
export type ServerDatabase = { options: ServerOptions; dispose(): Promise<void> }

/** A migrated template folder on the embedded engine, or a fresh database on the test server. */
export async function serverDatabase(engine: EngineKind, name: string): Promise<ServerDatabase> {
  if (engine === 'pglite') {
    const dataDir = await templateDataDir(name)
    return { options: { dataDir }, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) }
  }
  const database = await openTestDatabase('postgres', 1)
  return { options: { databaseUrl: database.url! }, dispose: () => database.close() }
}
