import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { mergedProfileIds } from '../customers/index.js'
import { foldCounters, rebuildCounters } from './counters.js'
import type { SegmentsTables } from './db.js'
import { rebuildTraits, traitDefinitions, valueRules } from './definitions.js'
import { reloadCustomerFacts } from './projections.js'
import { leaveAll, reevaluate } from './reevaluate.js'
import { refreshRfm } from './rfm.js'
import { upsertStates } from './trait-state.js'

type STx = Tx<SegmentsTables>

async function ensureProfiles(tx: STx, now: Date, ids: readonly string[]) {
  await sql`
    insert into segments.profile (id, merged_into, first_seen_at)
    select id, null, ${now} from unnest(${[...ids]}::text[]) as u(id) on conflict (id) do nothing`.execute(tx)
}

/**
 * `customer.merged`: the loser's traits fold into the survivor's (counts and sums add, min/max
 * and first/last combine, tallies add), its daily counters add to the survivor's, the identity and
 * consent copies are reloaded, the loser leaves every segment and the survivor is re-evaluated
 * against all of them.
 */
export async function foldProfiles(tx: STx, clock: Clock, survivor: string, loser: string): Promise<void> {
  const now = clock.now()
  await ensureProfiles(tx, now, [survivor, loser])
  // One hop to the survivor, also for those merged into the loser before: rules over stored facts rely on it.
  await sql`update segments.profile set merged_into = ${survivor} where id = ${loser} or merged_into = ${loser}`.execute(tx)
  const traits = await tx
    .selectFrom('segments.trait_state')
    .select('trait')
    .where('profile_id', '=', loser)
    .execute()
  const rules = valueRules(traits.map((t) => t.trait), await traitDefinitions(tx))
  await upsertStates(tx, sql`
    select ${survivor}, trait, n, total, low, high, first_at, first_value, last_at, last_value, tally, latest, ${now}::timestamptz
    from segments.trait_state where profile_id = ${loser}`, rules)
  await sql`delete from segments.trait_state where profile_id = ${loser}`.execute(tx)
  await refreshRfm(tx, now, [survivor])
  await foldCounters(tx, survivor, loser)
  await reloadCustomerFacts(tx, [survivor, loser])
  await leaveAll(tx, now, [loser])
  await reevaluate(tx, now, [survivor], null)
}

/**
 * `customer.unmerged`: both profiles' traits and counters are recomputed from the stored facts
 * of the profiles that now make up each (the customers module's merge tree), their identity and
 * consent copies reloaded, and both re-evaluated against every segment.
 */
export async function splitProfiles(tx: STx, clock: Clock, survivorId: string, loserId: string): Promise<void> {
  const now = clock.now()
  await ensureProfiles(tx, now, [survivorId, loserId])
  const [kept, back] = await Promise.all([mergedProfileIds(crossModule(tx), survivorId), mergedProfileIds(crossModule(tx), loserId)])
  const owners = new Map<string, string>()
  for (const id of kept.ids) owners.set(id, kept.survivor)
  for (const id of back.ids) owners.set(id, back.survivor)
  await sql`
    update segments.profile p set merged_into = nullif(o.owner, p.id)
    from unnest(${[...owners.keys()]}::text[], ${[...owners.values()]}::text[]) as o(id, owner)
    where p.id = o.id`.execute(tx)
  const targets = [kept.survivor, back.survivor]
  await rebuildTraits(tx, now, owners, await traitDefinitions(tx))
  await refreshRfm(tx, now, targets)
  for (const target of targets) await rebuildCounters(tx, target, [...owners].filter(([, o]) => o === target).map(([id]) => id))
  await reloadCustomerFacts(tx, targets)
  await reevaluate(tx, now, targets, null)
}
