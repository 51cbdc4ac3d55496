import type { Selectable } from 'kysely'

/** One Segment-compatible message as received; append-only except for its processing stamp. */
export type EventTable = {
  id: string
  message_id: string
  // Who wrote it: the touchpoint's channel code, or `key:<id>` for a staff key. messageId is
  // unique per writer, so two touchpoints choosing the same messageId never shadow each other.
  writer: string
  type: string
  event: string | null
  user_id: string | null
  anonymous_id: string | null
  group_id: string | null
  previous_id: string | null
  channel: string | null
  properties: Record<string, unknown> | null
  traits: Record<string, unknown> | null
  context: Record<string, unknown> | null
  integrations: Record<string, unknown> | null
  // Corrected for the sender's clock skew; `original_timestamp` is what the sender said.
  timestamp: Date
  original_timestamp: Date | null
  sent_at: Date | null
  received_at: Date
  processed_at: Date | null
  profile_id: string | null
}

/** An identity an event carried that another profile owns and the merge rules kept apart. */
export type IdentityConflictTable = {
  event_id: string
  kind: string
  value: string
  owner_profile_id: string
  profile_id: string
  created_at: Date
}

/** A domain fact about a person, copied from the outbox; see timeline.ts. */
export type TimelineEntryTable = {
  id: string
  outbox_event_id: number
  name: string
  version: number
  channel: string | null
  profile_id: string | null
  anonymous_id: string | null
  properties: Record<string, unknown>
  occurred_at: Date
  recorded_at: Date
}

export type TrackingMode = 'record' | 'reject'

export type TrackingPlanTable = { id: boolean; mode: TrackingMode; updated_at: Date }

/** The JSON Schema an event's `properties` must satisfy; see json-schema.ts. */
export type TrackingSchemaTable = {
  event: string
  schema: Record<string, unknown>
  mode: TrackingMode | null
  created_at: Date
  updated_at: Date
}

export type TrackingViolationTable = {
  id: string
  event_id: string
  event: string
  message_id: string
  channel: string | null
  errors: { path: string; message: string }[]
  received_at: Date
}

export type EventRow = Selectable<EventTable>
export type TimelineEntryRow = Selectable<TimelineEntryTable>

export type EventsTables = {
  'events.event': EventTable
  'events.identity_conflict': IdentityConflictTable
  'events.timeline_entry': TimelineEntryTable
  'events.tracking_plan': TrackingPlanTable
  'events.tracking_schema': TrackingSchemaTable
  'events.tracking_violation': TrackingViolationTable
}
