import type { Config } from '../config.js'
import { migrateToLatest, openEngine, type Engine } from '../kernel/db/index.js'
import { migrations } from '../modules.js'

/**
 * Opens the configured database for one command and closes it afterwards. The embedded engine's
 * folder lock applies as for the server: while `omnia serve` runs on the same OMNIA_DATA_DIR the
 * command is refused with the lock's message. Pending migrations are applied first, as the server
 * does at start-up, so every command sees the schema it was written for.
 */
export async function withDatabase<T>(
  config: Config,
  work: (engine: Engine<any>) => Promise<T>,
): Promise<T> {
  const engine = await openEngine<any>({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
  })
  try {
    const applied = await migrateToLatest(engine.db, migrations)
    if (applied.length > 0) process.stderr.write(`Applied ${applied.length} migration(s).\n`)
    return await work(engine)
  } finally {
    await engine.close()
  }
}

/** Where the command is working, for its first line of output. */
export function describeDatabase(config: Config): string {
  return config.databaseUrl
    ? 'the PostgreSQL server in DATABASE_URL'
    : `the embedded database in ${config.dataDir}`
}
