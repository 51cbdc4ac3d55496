import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250070_customers_create_tables.js'
import * as consent from './202611250120_customers_consent.js'
import * as merges from './202611250140_customers_merges.js'

export const customerMigrations: Migrations = {
  '202611250070_customers_create_tables': createTables,
  '202611250120_customers_consent': consent,
  '202611250140_customers_merges': merges,
}
