import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { createKey, ensureAdminKey, type ChannelKind, type StaffRole } from '../../src/kernel/auth/index.js'
import { fixedClock } from '../../src/kernel/clock.js'
import { inTransaction, type EngineKind } from '../../src/kernel/db/index.js'
import { newId } from '../../src/kernel/ids.js'
import type { OutboxDispatcher } from '../../src/kernel/outbox/index.js'
import { assemble } from '../../src/server.js'
import { openTestDatabase, type TestDatabase } from './db.js'

export const adminKey = 'omk_adm1n000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

export type TestApp = {
  app: FastifyInstance
  database: TestDatabase
  db: TestDatabase['db']
  clock: ReturnType<typeof fixedClock>
  dispatcher: OutboxDispatcher
  /** Sends a request as `key` (the admin key unless told otherwise). */
  call(method: InjectOptions['method'], url: string, body?: unknown, options?: { key?: string | null; headers?: Record<string, string> }): Promise<LightMyRequestResponse>
  staffKey(role: StaffRole, location?: string): Promise<string>
  touchpointKey(kind: ChannelKind, code: string, location?: string): Promise<string>
  reset(): Promise<void>
  close(): Promise<void>
}

/**
 * The whole HTTP app on a private test database, driven through `inject` (no socket).
 * `poolSize` sets the PostgreSQL pool, for suites that need real concurrency.
 */
export async function startTestApp(engine: EngineKind, options: { poolSize?: number } = {}): Promise<TestApp> {
  const database = await openTestDatabase(engine, options.poolSize)
  const clock = fixedClock('2026-03-01T10:00:00Z')
  const config = { ...loadConfig({}), demo: false }
  const { app, dispatcher } = await assemble(
    { kind: engine, db: database.db, close: database.close },
    config,
    pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock,
  )
  await app.ready()
  const seedAdmin = () => inTransaction(database.db, (tx) => ensureAdminKey(tx, clock, adminKey))
  await seedAdmin()
  return {
    app,
    database,
    db: database.db,
    clock,
    dispatcher,
    call(method, url, body, options = {}) {
      const key = options.key === undefined ? adminKey : options.key
      return app.inject({
        method,
        url,
        ...(body !== undefined && { payload: body as InjectOptions['payload'] }),
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
      })
    },
    async staffKey(role, location) {
      const key = await inTransaction(database.db, (tx) =>
        createKey(tx, clock, { kind: 'staff', role, name: `test ${role}`, location: location ?? null }),
      )
      return key.apiKey
    },
    async touchpointKey(kind, code, location) {
      const key = await inTransaction(database.db, (tx) =>
        createKey(tx, clock, { kind: 'touchpoint', name: code, channel: { id: newId('chn'), code, kind }, location: location ?? null }),
      )
      return key.apiKey
    },
    async reset() {
      app.forgetPrincipals()
      await database.reset()
      await seedAdmin()
    },
    async close() {
      await app.close()
      await database.close()
    },
  }
}
