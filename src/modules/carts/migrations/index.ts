import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250080_carts_create_tables.js'

export const cartMigrations: Migrations = {
  '202611250080_carts_create_tables': createTables,
}
