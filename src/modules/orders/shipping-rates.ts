import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { ConfigCache } from '../../kernel/config-cache.js'
import type { Tx } from '../../kernel/db/index.js'
import type { Currency } from '../../kernel/money.js'
import type { FulfillmentMethod, OrdersTables } from './db.js'
import type { ShippingRatesBody, ShippingRatesView } from './schema.js'

type OrdersTx = Tx<OrdersTables>

const cached = new ConfigCache<ShippingRatesView>()

async function readRates(tx: OrdersTx): Promise<ShippingRatesView> {
  const rows = await tx
    .selectFrom('orders.shipping_rate')
    .selectAll()
    .orderBy('method')
    .orderBy('currency')
    .execute()
  return {
    rates: rows.map((r) => ({
      method: r.method,
      currency: r.currency,
      amount: r.amount_minor,
      freeFrom: r.free_from_minor,
    })),
  }
}

/** Every configured rate (cached like other configuration). */
export function shippingRates(tx: OrdersTx): Promise<ShippingRatesView> {
  return cached.get(() => readRates(tx))
}

/**
 * What an order pays for delivery, in minor units of its currency: nothing for pickup and
 * curbside or when no rate is configured for the method and currency; the flat amount unless
 * the order's merchandise after discounts reaches the rate's `freeFrom`.
 */
export async function shippingFor(
  tx: OrdersTx,
  method: FulfillmentMethod,
  currency: Currency,
  merchandise: number,
): Promise<number> {
  if (method === 'pickup' || method === 'curbside') return 0
  const rate = (await shippingRates(tx)).rates.find(
    (r) => r.method === method && r.currency === currency,
  )
  if (!rate) return 0
  return rate.freeFrom !== null && merchandise >= rate.freeFrom ? 0 : rate.amount
}

/** Replaces every rate in one transaction; answers them before and after for the audit trail. */
export async function setShippingRates(tx: OrdersTx, clock: Clock, body: ShippingRatesBody) {
  // Two editors replacing the table at once would collide on its key: they take turns.
  await sql`select pg_advisory_xact_lock(hashtextextended('orders.shipping_rate', 0))`.execute(tx)
  const before = await readRates(tx)
  await tx.deleteFrom('orders.shipping_rate').execute()
  if (body.rates.length > 0)
    await tx
      .insertInto('orders.shipping_rate')
      .values(
        body.rates.map((r) => ({
          method: r.method,
          currency: r.currency,
          amount_minor: r.amount,
          free_from_minor: r.freeFrom ?? null,
          updated_at: clock.now(),
        })),
      )
      .execute()
  return { before, after: await readRates(tx) }
}
