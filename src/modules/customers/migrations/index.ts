import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250070_customers_create_tables.js'

export const customerMigrations: Migrations = {
  '202611250070_customers_create_tables': createTables,
}
