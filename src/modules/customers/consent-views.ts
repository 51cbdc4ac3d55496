import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import type { ConsentRow, PreferenceRow } from './consent-db.js'
import type { ConsentView, PreferencesView } from './consent-schema.js'
import type { CustomersTables } from './db.js'

export const noPreferences: PreferencesView = { preferredChannel: null, language: null, quietHours: null }

export function toConsentView(row: ConsentRow): ConsentView {
  return {
    channel: row.channel,
    purpose: row.purpose,
    status: row.status,
    source: row.source,
    sourceChannel: row.source_channel,
    recordedBy: row.recorded_by,
    proof: (row.proof ?? null) as ConsentView['proof'],
    changedAt: row.changed_at.toISOString(),
  }
}

export function toPreferencesView(row: PreferenceRow | undefined): PreferencesView {
  if (!row) return noPreferences
  const quietHours =
    row.quiet_start && row.quiet_end && row.time_zone ? { start: row.quiet_start, end: row.quiet_end, timeZone: row.time_zone } : null
  return { preferredChannel: row.preferred_channel, language: row.language, quietHours }
}

/**
 * Current consents and preferences of surviving profiles, each over the profile and every profile
 * merged into it (the latest choice per channel and purpose; an opt-out wins a tie; the
 * survivor's own preferences first). Two queries for any number of ids.
 */
export async function consentViewsOf(tx: Tx<CustomersTables>, ids: readonly string[]) {
  const out = new Map<string, { consents: ConsentView[]; preferences: PreferencesView }>(
    ids.map((id) => [id, { consents: [], preferences: noPreferences }]),
  )
  if (ids.length === 0) return out
  const tree = sql`
    with recursive tree(root, id, depth) as (
      select r, r, 0 from unnest(${[...ids]}::text[]) as r
      union all
      select t.root, p.id, t.depth + 1 from tree t join customers.profile p on p.merged_into = t.id where t.depth < 32
    )`
  const [consents, preferences] = await Promise.all([
    sql<ConsentRow & { root: string }>`${tree}
      select distinct on (t.root, c.channel, c.purpose) t.root, c.* from tree t join customers.consent c on c.profile_id = t.id
      order by t.root, c.channel, c.purpose, c.changed_at desc, (c.status = 'opted_out') desc`.execute(tx),
    sql<PreferenceRow & { root: string }>`${tree}
      select distinct on (t.root) t.root, p.* from tree t join customers.preference p on p.profile_id = t.id
      order by t.root, (p.profile_id = t.root) desc, p.updated_at desc`.execute(tx),
  ])
  for (const row of consents.rows) out.get(row.root)!.consents.push(toConsentView(row))
  for (const row of preferences.rows) out.get(row.root)!.preferences = toPreferencesView(row)
  return out
}
