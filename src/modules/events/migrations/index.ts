import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250100_events_create_tables.js'

export const eventMigrations: Migrations = {
  '202611250100_events_create_tables': createTables,
}
