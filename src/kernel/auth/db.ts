import type { Generated } from 'kysely'

export type ApiKeyRow = {
  id: string
  prefix: string
  secret_hash: string
  name: string
  kind: 'staff' | 'touchpoint' | 'publishable'
  role: string | null
  channel_id: string | null
  channel_code: string | null
  channel_kind: string | null
  location: string | null
  created_at: Date
  expires_at: Date | null
  revoked_at: Date | null
}

export type AuditLogRow = {
  id: Generated<number>
  at: Date
  key_id: string
  actor: string
  action: string
  resource: string
  resource_id: string
  before: unknown | null
  after: unknown | null
  request_id: string | null
}

export type AccessTables = {
  'access.api_key': ApiKeyRow
  'access.audit_log': AuditLogRow
}
