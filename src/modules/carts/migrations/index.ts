import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250080_carts_create_tables.js'
import * as ordered from './202611250161_carts_ordered.js'
import * as originalCustomer from './202611250220_carts_original_customer.js'
import * as coupon from './202612070100_carts_coupon.js'

export const cartMigrations: Migrations = {
  '202611250080_carts_create_tables': createTables,
  '202611250161_carts_ordered': ordered,
  '202611250220_carts_original_customer': originalCustomer,
  '202612070100_carts_coupon': coupon,
}
