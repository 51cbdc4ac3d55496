import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import { rfmTrait } from './builtins.js'
import type { SegmentsTables } from './db.js'

/**
 * RFM uses fixed bands, not quintiles, so a score means the same thing in a small shop and a big
 * one and never moves because other people bought. Each band is 1–5:
 * - recency, days since the last order: ≤ 30 → 5, ≤ 90 → 4, ≤ 180 → 3, ≤ 365 → 2, older → 1;
 * - frequency, orders: ≥ 10 → 5, ≥ 5 → 4, ≥ 3 → 3, 2 → 2, 1 → 1;
 * - monetary, lifetime value in minor units: ≥ 100000 → 5, ≥ 50000 → 4, ≥ 20000 → 3, ≥ 5000 → 2, less → 1.
 * The value is `{recency, frequency, monetary, score}` with score the three digits ("545").
 */
export const rfmBands = {
  recencyDays: [30, 90, 180, 365],
  frequency: [10, 5, 3, 2],
  monetary: [100000, 50000, 20000, 5000],
} as const

const [r1, r2, r3, r4] = rfmBands.recencyDays
const [f1, f2, f3, f4] = rfmBands.frequency
const [m1, m2, m3, m4] = rfmBands.monetary

/**
 * Recomputes the RFM trait of the given profiles (all when `profileIds` is null) from their
 * order traits as of `now`, in one statement. Profiles without orders have no RFM.
 */
export async function refreshRfm(tx: Tx<SegmentsTables>, now: Date, profileIds: readonly string[] | null): Promise<void> {
  if (profileIds && profileIds.length === 0) return
  const inputs = sql`trait in ('orderCount', 'lifetimeValue', 'lastOrderAt')`
  // Given profiles are looked up one by one on the primary key: as `profile_id = any(…)` the
  // planner, short of statistics, read the whole table for a batch's buyers.
  const states = profileIds
    ? sql`unnest(${[...new Set(profileIds)]}::text[]) as p(id) cross join lateral (
        select profile_id, trait, value from segments.trait_state
        where profile_id = p.id and ${inputs}
        offset 0) s`
    : sql`segments.trait_state s where ${inputs}`
  await sql`
    insert into segments.trait_state (profile_id, trait, n, value, updated_at)
    select profile_id, ${rfmTrait}, 0, jsonb_build_object('recency', r, 'frequency', f, 'monetary', m, 'score', concat(r, f, m)), ${now}::timestamptz
    from (
      select profile_id,
        case when days <= ${r1} then 5 when days <= ${r2} then 4 when days <= ${r3} then 3 when days <= ${r4} then 2 else 1 end as r,
        case when orders >= ${f1} then 5 when orders >= ${f2} then 4 when orders >= ${f3} then 3 when orders >= ${f4} then 2 else 1 end as f,
        case when spent >= ${m1} then 5 when spent >= ${m2} then 4 when spent >= ${m3} then 3 when spent >= ${m4} then 2 else 1 end as m
      from (
        select profile_id,
          max(case when trait = 'orderCount' then (value)::numeric end) as orders,
          coalesce(max(case when trait = 'lifetimeValue' then (value)::numeric end), 0) as spent,
          floor(extract(epoch from (${now}::timestamptz - max(case when trait = 'lastOrderAt' then (value #>> '{}')::timestamptz end))) / 86400) as days
        from ${states}
        group by profile_id
      ) o where orders > 0 and days is not null
    ) b
    on conflict (profile_id, trait) do update set value = excluded.value, updated_at = excluded.updated_at`.execute(tx)
}
