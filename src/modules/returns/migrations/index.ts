import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250170_returns_create_tables.js'
import * as dueRefunds from './202611250171_returns_due_refunds.js'
import * as byPostReceipt from './202612080100_returns_by_post_receipt.js'

export const returnMigrations: Migrations = {
  '202611250170_returns_create_tables': createTables,
  '202611250171_returns_due_refunds': dueRefunds,
  '202612080100_returns_by_post_receipt': byPostReceipt,
}
