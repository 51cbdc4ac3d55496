import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250130_fulfillment_create_tables.js'

export const fulfillmentMigrations: Migrations = {
  '202611250130_fulfillment_create_tables': createTables,
}
