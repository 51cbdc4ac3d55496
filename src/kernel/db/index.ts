export { openEngine, kyselyOnPglite, kyselyOnServer, type Engine, type EngineKind } from './engine.js'
export { DataDirInUseError } from './data-dir-lock.js'
export { inTransaction, sqlState, crossModule, type Tx, type AnyTx } from './transaction.js'
export { migrateToLatest, pendingMigrations, type Migrations } from './migrations.js'
