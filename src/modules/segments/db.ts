import type { Selectable } from 'kysely'

export type ProfileTable = { id: string; merged_into: string | null; first_seen_at: Date }

export type FactTable = {
  // Where it came from (`out:<outbox id>`, `evt:<event id>`): a redelivered fact is stored once.
  source: string
  profile_id: string
  name: string
  channel: string | null
  occurred_at: Date
  properties: unknown
}

export type DailyCountTable = {
  name: string
  day: string
  channel: string
  profile_id: string
  occurrences: number
  last_at: Date
}

export type TraitStateTable = {
  profile_id: string
  trait: string
  n: number
  total: string | null
  low: string | null
  high: string | null
  first_at: Date | null
  first_value: unknown
  last_at: Date | null
  last_value: unknown
  tally: unknown
  latest: unknown
  value: unknown
  updated_at: Date
}

export type TraitDefinitionTable = {
  name: string
  definition: unknown
  created_at: Date
  backfilled_at: Date | null
}

export type IdentityKindTable = { profile_id: string; kind: string }

export type ConsentTable = {
  profile_id: string
  channel: string
  purpose: string
  status: string
  changed_at: Date
}

export type SegmentTable = {
  id: string
  name: string
  description: string | null
  rule: unknown
  depends_on: string[]
  is_time_relative: boolean
  rank: number
  evaluated_on: string | null
  member_count: number
  created_at: Date
  updated_at: Date
}

export type MembershipTable = { segment_id: string; profile_id: string; entered_at: Date }

export type MembershipChangeTable = { segment_id: string; day: string; entered: number; exited: number }

export type SegmentRow = Selectable<SegmentTable>

export type SegmentsTables = {
  'segments.profile': ProfileTable
  'segments.fact': FactTable
  'segments.daily_count': DailyCountTable
  'segments.trait_state': TraitStateTable
  'segments.trait_definition': TraitDefinitionTable
  'segments.identity_kind': IdentityKindTable
  'segments.consent': ConsentTable
  'segments.segment': SegmentTable
  'segments.membership': MembershipTable
  'segments.membership_change': MembershipChangeTable
  'segments.chore': { name: string; done_on: string }
}
