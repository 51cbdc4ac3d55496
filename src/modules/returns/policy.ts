import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { assertLocationsExist } from '../locations/index.js'
import type { PolicyRow, ReturnsTables } from './db.js'
import type { ReturnPolicyBody, ReturnPolicyView } from './schema.js'

type ReturnsTx = Tx<ReturnsTables>

/**
 * The policy until someone sets one: thirty days, goods that can be sold again as new, order
 * ids from staff and store tills only. Damaged goods are refused until a quarantine location
 * is named, since nothing else keeps them from being sold.
 */
export const defaultPolicy: ReturnPolicyView = {
  windowDays: 30,
  acceptedConditions: ['unopened', 'as_new'],
  quarantineConditions: ['damaged'],
  idProofChannelKinds: ['pos'],
  nonReturnableCategories: [],
  quarantineLocation: null,
  postLocation: null,
  updatedAt: null,
}

function toView(row: PolicyRow): ReturnPolicyView {
  return {
    windowDays: row.window_days,
    acceptedConditions: row.accepted_conditions,
    quarantineConditions: row.quarantine_conditions,
    idProofChannelKinds: row.id_proof_channel_kinds as ReturnPolicyView['idProofChannelKinds'],
    nonReturnableCategories: row.non_returnable_categories,
    quarantineLocation: row.quarantine_location,
    postLocation: row.post_location,
    updatedAt: row.updated_at.toISOString(),
  }
}

/** The return policy in force: the stored one, else `defaultPolicy`. */
export async function getReturnPolicy(tx: ReturnsTx): Promise<ReturnPolicyView> {
  const row = await tx
    .selectFrom('returns.policy')
    .selectAll()
    .where('id', '=', 'default')
    .executeTakeFirst()
  return row ? toView(row) : defaultPolicy
}

/**
 * Replaces the return policy and answers it before and after, for the audit trail. The
 * quarantine and by-post locations must exist (`validation-failed` at their field). Returns
 * already taken keep the rules they were taken under.
 */
export async function setReturnPolicy(tx: ReturnsTx, clock: Clock, input: ReturnPolicyBody) {
  await assertLocationsExist(crossModule(tx), [
    ...(input.quarantineLocation
      ? [{ code: input.quarantineLocation, path: 'quarantineLocation' }]
      : []),
    ...(input.postLocation ? [{ code: input.postLocation, path: 'postLocation' }] : []),
  ])
  const before = await getReturnPolicy(tx)
  const values = {
    window_days: input.windowDays,
    accepted_conditions: [...new Set(input.acceptedConditions)],
    quarantine_conditions: [...new Set(input.quarantineConditions)],
    id_proof_channel_kinds: [...new Set(input.idProofChannelKinds)],
    non_returnable_categories: [...new Set(input.nonReturnableCategories)],
    quarantine_location: input.quarantineLocation,
    post_location: input.postLocation,
    updated_at: clock.now(),
  }
  const row = await tx
    .insertInto('returns.policy')
    .values({ id: 'default', ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before, after: toView(row) }
}
