import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250060_payments_create_tables.js'
import * as nothingToPay from './202612072300_payments_nothing_to_pay.js'

export const paymentMigrations: Migrations = {
  '202611250060_payments_create_tables': createTables,
  '202612072300_payments_nothing_to_pay': nothingToPay,
}
