import type { ColumnType, Generated } from 'kysely'

export type OutboxRow = {
  id: Generated<number>
  // xid8 of the writing transaction, as text; see dispatcher.ts for why delivery needs it.
  tx_id: ColumnType<string, never, never>
  name: string
  version: number
  payload: unknown
  channel: string | null
  profile_id: string | null
  occurred_at: Date
}

export type CheckpointRow = {
  consumer: string
  tx_id: string
  event_id: number
  updated_at: Date
}

export type OutboxTables = {
  'kernel.outbox': OutboxRow
  'kernel.consumer_checkpoint': CheckpointRow
}
