import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250090_promotions_create_tables.js'

export const promotionMigrations: Migrations = {
  '202611250090_promotions_create_tables': createTables,
}
