import type { Generated, Selectable } from 'kysely'
import type { ConsentChannel, ConsentPurpose, ConsentStatus } from './consent-schema.js'

type ConsentColumns = {
  profile_id: string
  channel: ConsentChannel
  purpose: ConsentPurpose
  status: ConsentStatus
  // Free label of the touchpoint form or flow (`checkout-form`, `sms-keyword`, `unsubscribe-link`).
  source: string
  // The touchpoint's channel code; null for staff and for signed links.
  source_channel: string | null
  // Who recorded it: `pos:pos-tehran`, `clerk:Maria`, `unsubscribe-link`.
  recorded_by: string
  proof: unknown
}

export type ConsentEventTable = ConsentColumns & { id: Generated<number>; occurred_at: Date }
export type ConsentTable = ConsentColumns & { changed_at: Date }

export type PreferenceTable = {
  profile_id: string
  preferred_channel: ConsentChannel | null
  language: string | null
  quiet_start: string | null
  quiet_end: string | null
  time_zone: string | null
  updated_at: Date
}

export type ConsentEventRow = Selectable<ConsentEventTable>
export type ConsentRow = Selectable<ConsentTable>
export type PreferenceRow = Selectable<PreferenceTable>

export type ConsentTables = {
  'customers.consent_event': ConsentEventTable
  'customers.consent': ConsentTable
  'customers.preference': PreferenceTable
}
