import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import { decodeTimeCursor, toPage, type Page } from '../../kernel/http/index.js'
import type { CustomersTables, MergeRefusalRow } from './db.js'
import { identityKey, normaliseIdentities, type Identity } from './identities.js'
import { nonMergingKinds } from './merge-limits.js'
import { lockProfiles, mergeProfiles, recordRefusal } from './merge.js'
import type { IdentityConflict, MergeRefusalView } from './schema.js'
import { getCustomer, resolveCustomer, type Resolution, type ResolveInput } from './service.js'
import { ownersOf } from './views.js'

type CTx = Tx<CustomersTables>

export type MergedResolution = Resolution & {
  /** Profiles folded into the answered customer by this call. */
  merged: string[]
}

/**
 * resolveCustomer, then identity resolution: when the identities given belong to several
 * profiles, those profiles are one person and are merged (mergeProfiles: the oldest survives)
 * and the survivor is answered. Except where rules forbid it: a profile the request names only
 * through a kind that never merges (`customers.merge_rule`, device_id by default) is left alone,
 * a merge that would give a profile two user_ids is refused, and so is joining two profiles
 * staff unmerged; each refusal is recorded (once per pair and reason) in
 * `customers.merge_refusal` and its identities stay in `conflicts`.
 *
 * Concurrency: every profile already owning a given identity is locked in id order before
 * resolving, so racing resolves that must merge the same profiles run one after the other and
 * the later one finds them merged (one survivor). Events as resolveCustomer and mergeProfiles.
 */
export async function resolveAndMerge(tx: CTx, clock: Clock, input: ResolveInput, actor = 'identity-resolution'): Promise<MergedResolution> {
  if ('id' in input) return { ...(await resolveCustomer(tx, clock, input)), merged: [] }
  const identities = normaliseIdentities(input.identities, 'identities', input.region)
  await lockProfiles(tx, [...new Set((await ownersOf(tx, identities)).values())])
  const resolution = await resolveCustomer(tx, clock, input)
  if (resolution.conflicts.length === 0) return { ...resolution, merged: [] }

  const owners = await ownersOf(tx, identities)
  const never = await nonMergingKinds(tx)
  const links = new Map<string, Identity[]>()
  for (const i of identities) {
    const owner = owners.get(identityKey(i))
    if (owner) links.set(owner, [...(links.get(owner) ?? []), i])
  }
  const mergeable = [...links].filter(([, ids]) => ids.some((i) => !never.has(i.kind))).map(([p]) => p)
  let target = mergeable.includes(resolution.customer.id) ? resolution.customer.id : (mergeable[0] ?? resolution.customer.id)
  const merged: string[] = []
  for (const other of mergeable.filter((p) => p !== target)) {
    const result = await mergeProfiles(tx, clock, { survivor: target, loser: other, reason: 'shared-identity', actor, automatic: true })
    if (result.outcome === 'merged') {
      target = result.survivorId
      merged.push(result.loserId)
    } else if (result.outcome === 'refused') {
      await recordRefusal(tx, clock, { profileIds: result.profileIds, identities, reason: result.reason })
    }
  }
  for (const [profile] of [...links].filter(([p]) => !mergeable.includes(p) && p !== target)) {
    await recordRefusal(tx, clock, { profileIds: [target, profile], identities, reason: 'identity-kind-never-merges' })
  }
  const finalOwners = await ownersOf(tx, identities)
  const conflicts: IdentityConflict[] = identities.flatMap((i) => {
    const owner = finalOwners.get(identityKey(i))
    return owner && owner !== target ? [{ ...i, profileId: owner }] : []
  })
  return { customer: await getCustomer(tx, target), created: resolution.created, added: resolution.added, conflicts, merged }
}

const toRefusalView = (r: MergeRefusalRow): MergeRefusalView => ({
  id: r.id,
  profileIds: r.profile_ids,
  identities: r.identities as MergeRefusalView['identities'],
  reason: r.reason as MergeRefusalView['reason'],
  createdAt: r.created_at.toISOString(),
})

/** Refused merges, newest first, keyset-paginated on (created_at, id) so new ones never shift a page. Reads only. */
export async function listRefusals(tx: CTx, query: { limit: number; cursor?: string | undefined }): Promise<Page<MergeRefusalView>> {
  let after: { at: Date; id: string } | null = null
  if (query.cursor) {
    after = decodeTimeCursor(query.cursor)
  }
  const rows = await sql<MergeRefusalRow>`
    select * from customers.merge_refusal
    ${after ? sql`where (created_at, id) < (${after.at}::timestamptz, ${after.id})` : sql``}
    order by created_at desc, id desc limit ${query.limit + 1}`.execute(tx)
  return toPage(rows.rows, query.limit, (r) => [r.created_at.toISOString(), r.id], toRefusalView)
}
