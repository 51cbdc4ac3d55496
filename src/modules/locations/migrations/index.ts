import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250010_locations_create_tables.js'

export const locationMigrations: Migrations = {
  '202611250010_locations_create_tables': createTables,
}
