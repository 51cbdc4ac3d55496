import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250020_channels_create_tables.js'

export const channelMigrations: Migrations = {
  '202611250020_channels_create_tables': createTables,
}
