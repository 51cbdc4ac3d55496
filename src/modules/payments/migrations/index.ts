import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250060_payments_create_tables.js'

export const paymentMigrations: Migrations = {
  '202611250060_payments_create_tables': createTables,
}
