import type { Selectable } from 'kysely'
import type { ConsentTables } from './consent-db.js'
import type { IdentityKind } from './schema.js'

export type ProfileTable = {
  id: string
  name: string | null
  created_at: Date
  updated_at: Date
  // Set when identity resolution folds this profile into another; readers follow it.
  merged_into: string | null
  first_seen_channel: string | null
  last_seen_at: Date
}

export type IdentityTable = {
  kind: IdentityKind
  // Normalised (see identities.ts): the same person typed twice is one row.
  value: string
  profile_id: string
  // The first identity of its kind on a profile: the address a message goes to by default.
  is_primary: boolean
  source_channel: string | null
  created_at: Date
}

export type ProfileRow = Selectable<ProfileTable>
export type IdentityRow = Selectable<IdentityTable>

export type CustomersTables = {
  'customers.profile': ProfileTable
  'customers.identity': IdentityTable
} & ConsentTables
