import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250180_segments_create_tables.js'

export const segmentMigrations: Migrations = {
  '202611250180_segments_create_tables': createTables,
}
