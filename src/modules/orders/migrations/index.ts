import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250110_orders_create_tables.js'
import * as sourcingAndShipping from './202611250160_orders_sourcing_and_shipping.js'
import * as placedCustomer from './202611250200_orders_placed_customer.js'

export const orderMigrations: Migrations = {
  '202611250110_orders_create_tables': createTables,
  '202611250160_orders_sourcing_and_shipping': sourcingAndShipping,
  '202611250200_orders_placed_customer': placedCustomer,
}
