import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250050_inventory_create_tables.js'

export const inventoryMigrations: Migrations = {
  '202611250050_inventory_create_tables': createTables,
}
