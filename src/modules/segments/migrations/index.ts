import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250180_segments_create_tables.js'
import * as behaviourOrder from './202611250210_segments_behaviour_order.js'
import * as roomForUpdates from './202611260100_segments_room_for_updates.js'

export const segmentMigrations: Migrations = {
  '202611250180_segments_create_tables': createTables,
  '202611250210_segments_behaviour_order': behaviourOrder,
  '202611260100_segments_room_for_updates': roomForUpdates,
}
