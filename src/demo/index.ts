import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Clock } from '../kernel/clock.js'
import { loadDemo, type DemoKeys, type DemoSummary } from './load.js'

export { loadDemo, type DemoKeys, type DemoSummary } from './load.js'
export { generateDemo, type DemoData } from './generate.js'
export {
  channels as demoChannels,
  locations as demoLocations,
  staff as demoStaff,
} from './retailer.js'

/** Where the demo's keys are written: `<OMNIA_DATA_DIR>/demo-keys.json`. */
export function demoKeysPath(dataDir: string): string {
  return join(resolve(dataDir), 'demo-keys.json')
}

/**
 * Writes the demo keys readable by the owner only (0600): they are live credentials. The mode is
 * set again after writing because `writeFileSync` applies it only when it creates the file.
 */
export function writeDemoKeys(dataDir: string, keys: DemoKeys): string {
  const path = demoKeysPath(dataDir)
  mkdirSync(resolve(dataDir), { recursive: true })
  writeFileSync(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 })
  chmodSync(path, 0o600)
  return path
}

/**
 * Loads the demo retailer when the database holds no locations yet, and writes its keys to
 * `<dataDir>/demo-keys.json`. Called at every start-up with OMNIA_DEMO on: after the first
 * load the database has locations, so a restart loads nothing and keeps the keys file as it is.
 */
export async function loadDemoIfEmpty(
  db: Kysely<any>,
  clock: Clock,
  config: Config,
  logger: Logger,
): Promise<DemoSummary | null> {
  const started = performance.now()
  const summary = await loadDemo(db, clock)
  if (!summary) {
    logger.debug('the database has data already: demo not loaded')
    return null
  }
  const keysFile = writeDemoKeys(config.dataDir, summary.keys)
  const { keys: _keys, ...counts } = summary
  logger.info(
    { ...counts, keysFile, ms: Math.round(performance.now() - started) },
    'demo retailer loaded',
  )
  return summary
}
