import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import { restoreDataDir } from '../support/server-process.js'

/**
 * A new embedded data folder holding the run's migrated template: the server under test starts
 * in about a second. Suites about the very first start use an empty folder instead.
 */
export async function templateDataDir(name: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `omnia-${name}-`))
  await restoreDataDir(inject('pgliteTemplate'), dir)
  return dir
}
