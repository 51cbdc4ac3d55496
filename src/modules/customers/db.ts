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

export type MergeRuleTable = { kind: string; may_merge: boolean; note: string | null }

export type MergeTable = {
  id: string
  survivor_id: string
  loser_id: string
  reason: string
  actor: string
  // The [{kind, value}] that moved from the loser: what an unmerge gives back.
  identities: unknown
  merged_at: Date
  unmerged_at: Date | null
}

export type MergeRefusalTable = {
  id: string
  profile_ids: string[]
  identities: unknown
  reason: string
  created_at: Date
}

export type ProfileRow = Selectable<ProfileTable>
export type IdentityRow = Selectable<IdentityTable>
export type MergeRefusalRow = Selectable<MergeRefusalTable>

export type CustomersTables = {
  'customers.profile': ProfileTable
  'customers.identity': IdentityTable
  'customers.merge_rule': MergeRuleTable
  'customers.merge': MergeTable
  'customers.merge_refusal': MergeRefusalTable
} & ConsentTables
