import type { Config } from '../config.js'
import { migrateToLatest, openEngine } from '../kernel/db/index.js'
import { migrations } from '../modules.js'
import { parseCommand } from './args.js'
import { describeDatabase } from './database.js'

const usage = `Usage: omnia migrate

Applies every pending schema migration to the configured database and exits. The server
also migrates at start-up; run this first when several servers share one PostgreSQL, so none of
them races the others to do it.`

/** `omnia migrate`: applies pending migrations and lists them. */
export async function runMigrate(config: Config, args: string[]): Promise<void> {
  if (!parseCommand(args, usage, {})) return
  const engine = await openEngine<any>({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 1,
  })
  try {
    const applied = await migrateToLatest(engine.db, migrations)
    const where = describeDatabase(config)
    if (applied.length === 0) process.stdout.write(`The schema of ${where} is up to date.\n`)
    else
      process.stdout.write(
        `Applied ${applied.length} migration(s) to ${where}:\n${applied.map((m) => `  ${m}\n`).join('')}`,
      )
  } finally {
    await engine.close()
  }
}
