import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250040_pricing_create_tables.js'

export const pricingMigrations: Migrations = {
  '202611250040_pricing_create_tables': createTables,
}
