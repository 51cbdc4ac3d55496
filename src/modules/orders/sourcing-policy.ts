import type { Clock } from '../../kernel/clock.js'
import { ConfigCache } from '../../kernel/config-cache.js'
import type { Tx } from '../../kernel/db/index.js'
import { defaultSourcingPolicy, type SourcingPolicy } from '../inventory/index.js'
import type { OrdersTables } from './db.js'
import type { SourcingPolicyBody } from './schema.js'

type OrdersTx = Tx<OrdersTables>

const name = 'sourcing_policy'
const cached = new ConfigCache<SourcingPolicy>()

/**
 * The sourcing policy in force: the stored one, else the documented default (nearest whole
 * order, then fewest shipments up to 3; courier within 30 km; a store's own stock excluded from
 * its endless-aisle orders). Cached like other configuration: placement reads it every time.
 */
export function sourcingPolicy(tx: OrdersTx): Promise<SourcingPolicy> {
  return cached.get(async () => {
    const row = await tx
      .selectFrom('orders.setting')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst()
    return row
      ? { ...defaultSourcingPolicy, ...(row.value as Partial<SourcingPolicy>) }
      : defaultSourcingPolicy
  })
}

/**
 * Replaces the sourcing policy; answers it before and after for the audit trail. The caller
 * commits through `changeConfiguration`, so this process reloads it at once (others within
 * the cache's lifetime).
 */
export async function setSourcingPolicy(tx: OrdersTx, clock: Clock, body: SourcingPolicyBody) {
  const before = await readStored(tx)
  await tx
    .insertInto('orders.setting')
    .values({ name, value: JSON.stringify(body), updated_at: clock.now() })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ value: JSON.stringify(body), updated_at: clock.now() }),
    )
    .execute()
  return { before, after: body as SourcingPolicy }
}

/** The stored policy read past the cache (for an edit's "before"). */
export async function readStored(tx: OrdersTx): Promise<SourcingPolicy> {
  const row = await tx
    .selectFrom('orders.setting')
    .select('value')
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirst()
  return row
    ? { ...defaultSourcingPolicy, ...(row.value as Partial<SourcingPolicy>) }
    : defaultSourcingPolicy
}
