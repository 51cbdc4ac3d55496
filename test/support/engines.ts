import type { EngineKind } from '../../src/kernel/db/index.js'

/**
 * The engines every database test runs on: PGlite always, PostgreSQL when TEST_DATABASE_URL is
 * set. Under CI=true a missing server is a failure, never a silent skip.
 */
export const engines: EngineKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']

if (process.env.CI === 'true' && !process.env.TEST_DATABASE_URL) {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL engine must be tested')
}
