import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250050_inventory_create_tables.js'
import * as reservationStore from './202611250150_inventory_reservation_store.js'
import * as transferReservation from './202611260010_inventory_transfer_reservation.js'

export const inventoryMigrations: Migrations = {
  '202611250050_inventory_create_tables': createTables,
  '202611250150_inventory_reservation_store': reservationStore,
  '202611260010_inventory_transfer_reservation': transferReservation,
}
