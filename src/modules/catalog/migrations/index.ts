import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250030_catalog_create_tables.js'

export const catalogMigrations: Migrations = {
  '202611250030_catalog_create_tables': createTables,
}
