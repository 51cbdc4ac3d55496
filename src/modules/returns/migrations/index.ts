import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250170_returns_create_tables.js'
import * as dueRefunds from './202611250171_returns_due_refunds.js'

export const returnMigrations: Migrations = {
  '202611250170_returns_create_tables': createTables,
  '202611250171_returns_due_refunds': dueRefunds,
}
