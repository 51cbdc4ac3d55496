import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250110_orders_create_tables.js'

export const orderMigrations: Migrations = {
  '202611250110_orders_create_tables': createTables,
}
