import type { Migrations } from '../../../kernel/db/index.js'
import * as createTables from './202611250100_events_create_tables.js'
import * as timelineEntry from './202611250101_events_timeline_entry.js'
import * as trackingPlan from './202611250191_events_tracking_plan.js'

export const eventMigrations: Migrations = {
  '202611250100_events_create_tables': createTables,
  '202611250101_events_timeline_entry': timelineEntry,
  '202611250191_events_tracking_plan': trackingPlan,
}
