import { sql, type Kysely } from 'kysely'
import type { TestApp } from '../../../test/support/app.js'
import { createChannel, createLocations, receive, seedSkus } from '../inventory/testing.js'

/** Test helpers for cart suites; production code never imports this file. */

export type Keys = { web: string; app: string; pos: string }

/**
 * A small retailer: warehouse `wh-1` ships, store `ath-1` sells at its counter and hands over
 * pickups, `hq` has no pickup desk; SKUs TEE-M and MUG-1 at 10.00 EUR; web, app and a POS
 * channel at `ath-1`. Answers the touchpoint keys.
 */
export async function seedShop(t: TestApp): Promise<Keys> {
  await createLocations(t, { code: 'wh-1', shipFrom: true }, { code: 'ath-1', shipFrom: false })
  const hq = await t.call('POST', '/v1/locations', {
    code: 'hq',
    name: 'Head office',
    kind: 'warehouse',
    address: { line1: 'hq street 1', city: 'Athens', country: 'GR' },
    geo: { lat: 37.97, lng: 23.73 },
    capabilities: { shipFrom: false, pickup: false, acceptReturns: false },
  })
  if (hq.statusCode !== 201) throw new Error(`hq answered ${hq.statusCode}: ${hq.body}`)
  await seedSkus(t, 'TEE-M', 'MUG-1')
  await receive(t, 'TEE-M', 'wh-1', 50)
  await receive(t, 'TEE-M', 'ath-1', 2)
  await receive(t, 'MUG-1', 'wh-1', 1)
  return {
    web: await createChannel(t, 'web', 'web'),
    app: await createChannel(t, 'app', 'app'),
    pos: await createChannel(t, 'pos-ath', 'pos', { location: 'ath-1' }),
  }
}

/** Events the carts module appended, oldest first. */
export async function cartEventsOf(db: Kysely<any>) {
  const rows = await sql<{ name: string; payload: Record<string, unknown>; channel: string | null; profile_id: string | null }>`
    select name, payload, channel, profile_id from kernel.outbox where name like 'cart.%' order by id`.execute(db)
  return rows.rows
}

/** Row counts of the carts tables, to show a refused request wrote nothing. */
export async function cartCounts(db: Kysely<any>) {
  const rows = await sql<{ carts: number; lines: number; coupons: number; events: number }>`
    select (select count(*)::int from carts.cart) as carts,
           (select count(*)::int from carts.cart_line) as lines,
           (select count(*)::int from carts.cart where coupon is not null) as coupons,
           (select count(*)::int from kernel.outbox where name like 'cart.%') as events`.execute(db)
  return rows.rows[0]!
}
