import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import pino, { type Logger } from 'pino'
import type { Config } from './config.js'
import { ensureAdminKey } from './kernel/auth/index.js'
import { systemClock, type Clock } from './kernel/clock.js'
import {
  inTransaction,
  maintenanceTasks,
  migrateToLatest,
  openEngine,
  pendingMigrations,
  type Engine,
} from './kernel/db/index.js'
import { buildHttp } from './kernel/http/index.js'
import { PeriodicRunner } from './kernel/jobs/periodic.js'
import { OutboxDispatcher, outboxRoutes } from './kernel/outbox/index.js'
import { migrations, moduleRoutes, periodicTasks, subscribe } from './modules.js'

export const version = '0.1.0'

export type Runtime = {
  engine: Engine<any>
  app: FastifyInstance
  dispatcher: OutboxDispatcher
  runner: PeriodicRunner
  logger: Logger
  clock: Clock
  stop(): Promise<void>
}

export function makeLogger(level: string): Logger {
  return pino({ level, base: { service: 'omnia' } })
}

/** Builds the HTTP app and workers on an open, migrated database. Does not listen. */
export async function assemble(engine: Engine<any>, config: Config, logger: Logger, clock: Clock = systemClock) {
  const { db } = engine
  const deps = { db, clock, engine: engine.kind }
  const app = await buildHttp({
    logger,
    bodyLimit: config.bodyLimitBytes,
    deps,
    modules: moduleRoutes,
    version,
    readiness: async () => {
      try {
        await sql`select 1`.execute(db)
        const pending = await pendingMigrations(db, migrations)
        return pending.length === 0
          ? { ready: true, detail: `${engine.kind} reachable, migrations applied` }
          : { ready: false, detail: `pending migrations: ${pending.join(', ')}` }
      } catch (err) {
        return { ready: false, detail: `database unreachable: ${(err as Error).message}` }
      }
    },
  })
  const dispatcher = new OutboxDispatcher(db, clock, logger)
  subscribe(dispatcher, { db, clock, logger })
  await app.register(outboxRoutes, { dispatcher, clock })
  const tasks = [...periodicTasks({ db, clock, logger }), ...maintenanceTasks(engine.kind, db, logger)]
  const runner = new PeriodicRunner(tasks, logger)
  return { app, dispatcher, runner }
}

/**
 * Opens the database, migrates it, makes sure OMNIA_ADMIN_KEY works, loads the demo on a first
 * start, then serves HTTP and runs the workers until `stop` (called on SIGTERM/SIGINT).
 */
export async function startServer(config: Config, logger = makeLogger(config.logLevel)): Promise<Runtime> {
  const engine = await openEngine<any>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.poolSize })
  const applied = await migrateToLatest(engine.db, migrations)
  if (applied.length > 0) logger.info({ applied }, 'migrations applied')
  const clock = systemClock
  if (config.adminKey) {
    const adminKey = config.adminKey
    await inTransaction(engine.db, (tx) => ensureAdminKey(tx, clock, adminKey))
  }
  if (config.demo) {
    const { loadDemoIfEmpty } = await import('./demo/index.js')
    await loadDemoIfEmpty(engine.db, clock, config, logger)
  }
  const { app, dispatcher, runner } = await assemble(engine, config, logger, clock)
  await app.listen({ port: config.port, host: config.host })
  dispatcher.start()
  runner.start()
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      await app.close()
      await runner.stop()
      await dispatcher.stop()
      await engine.close()
    })())
  return { engine, app, dispatcher, runner, logger, clock, stop }
}
