import { sql, type Kysely } from 'kysely'
import type { TestApp } from '../../../test/support/app.js'
import { createChannel, createLocations, receive, seedSkus } from '../inventory/testing.js'

/** Test helpers for order suites; production code never imports this file. */

export type ShopKeys = {
  web: string
  app: string
  pos: string
  phone: string
  insta: string
  clerk: string
  picker: string
}

/**
 * A small retailer: warehouse `wh-1` ships; stores `ath-1` (its POS sells from it) and `the-2`
 * do not ship. TEE-M and MUG-1 cost 10.00 EUR. Stock: TEE-M 50 at wh-1 and 2 at ath-1; MUG-1
 * 1 at wh-1 and 3 at the-2. Answers the keys of every touchpoint, of a clerk at ath-1 and of
 * one at wh-1 (`picker`).
 */
export async function seedShop(t: TestApp): Promise<ShopKeys> {
  await createLocations(
    t,
    { code: 'wh-1', shipFrom: true },
    { code: 'ath-1', shipFrom: false },
    { code: 'the-2', shipFrom: false },
  )
  await seedSkus(t, 'TEE-M', 'MUG-1')
  await receive(t, 'TEE-M', 'wh-1', 50)
  await receive(t, 'TEE-M', 'ath-1', 2)
  await receive(t, 'MUG-1', 'wh-1', 1)
  await receive(t, 'MUG-1', 'the-2', 3)
  return {
    web: await createChannel(t, 'web', 'web'),
    app: await createChannel(t, 'app', 'app'),
    pos: await createChannel(t, 'pos-ath', 'pos', { location: 'ath-1' }),
    phone: await createChannel(t, 'phone', 'callcenter'),
    insta: await createChannel(t, 'insta', 'social'),
    clerk: await t.staffKey('clerk', 'ath-1'),
    picker: await t.staffKey('clerk', 'wh-1'),
  }
}

let keys = 0

/** Places an order as `key` with a fresh Idempotency-Key unless one is given. */
export function placeOrder(
  t: TestApp,
  key: string,
  body: object,
  idempotencyKey = `order-${++keys}`,
) {
  return t.call('POST', '/v1/orders', body, { key, headers: { 'idempotency-key': idempotencyKey } })
}

/** Row counts that a refused placement must leave unchanged. */
export async function orderCounts(db: Kysely<any>) {
  const rows = await sql<Record<string, number>>`
    select (select count(*)::int from orders.order) as orders,
           (select count(*)::int from orders.order_line) as lines,
           (select count(*)::int from inventory.reservation) as reservations,
           (select coalesce(sum(reserved), 0)::int from inventory.stock_level) as reserved,
           (select count(*)::int from customers.profile) as customers,
           (select count(*)::int from payments.payment) as payments,
           (select count(*)::int from kernel.idempotency_key) as keys,
           (select count(*)::int from kernel.outbox where name like 'order.%') as events`.execute(
    db,
  )
  return rows.rows[0]!
}

/** Units reserved per (sku, location). */
export async function reservedAt(db: Kysely<any>, sku: string, location: string) {
  const rows = await sql<{ reserved: number }>`
    select reserved from inventory.stock_level where sku = ${sku} and location = ${location}`.execute(
    db,
  )
  return Number(rows.rows[0]?.reserved ?? 0)
}

/** Names of the order events in the outbox, oldest first. */
export async function orderEventNames(db: Kysely<any>) {
  const rows = await sql<{ name: string }>`
    select name from kernel.outbox where name like 'order.%' order by id`.execute(db)
  return rows.rows.map((r) => r.name)
}

/** Where the geo shop's places are (decimal degrees). */
export const places = {
  athens: { lat: 37.9838, lng: 23.7275 },
  piraeus: { lat: 37.942, lng: 23.6465 },
  patras: { lat: 38.2466, lng: 21.7346 },
  thessaloniki: { lat: 40.6401, lng: 22.9444 },
  heraklion: { lat: 35.3387, lng: 25.1442 },
}

export type GeoShopKeys = {
  web: string
  posPatras: string
  clerkPatras: string
  clerkAthens: string
  manager: string
}

/**
 * A retailer spread over Greece, for sourcing: warehouse `wh-thes` (Thessaloniki) ships; stores
 * `st-ath` (Athens centre), `st-pir` (Piraeus, ~9 km away) and `st-pat` (Patras, with a POS)
 * ship and offer pick-up. TEE-M and MUG-1 cost 10.00 EUR. Stock: TEE-M 50 at wh-thes, 3 at
 * st-ath, 5 at st-pir, 4 at st-pat; MUG-1 1 at wh-thes and 2 at st-pir.
 */
export async function seedGeoShop(t: TestApp): Promise<GeoShopKeys> {
  const location = (
    code: string,
    kind: string,
    geo: { lat: number; lng: number },
    pickup: boolean,
  ) =>
    t.call('POST', '/v1/locations', {
      code,
      name: code,
      kind,
      address: { line1: `${code} 1`, city: code, country: 'GR' },
      geo,
      capabilities: { shipFrom: true, pickup, acceptReturns: true },
    })
  for (const [code, kind, geo, pickup] of [
    ['wh-thes', 'warehouse', places.thessaloniki, false],
    ['st-ath', 'store', places.athens, true],
    ['st-pir', 'store', places.piraeus, true],
    ['st-pat', 'store', places.patras, true],
  ] as const) {
    const res = await location(code, kind, geo, pickup)
    if (res.statusCode !== 201) throw new Error(`location ${code}: ${res.body}`)
  }
  await seedSkus(t, 'TEE-M', 'MUG-1')
  for (const [sku, at, quantity] of [
    ['TEE-M', 'wh-thes', 50],
    ['TEE-M', 'st-ath', 3],
    ['TEE-M', 'st-pir', 5],
    ['TEE-M', 'st-pat', 4],
    ['MUG-1', 'wh-thes', 1],
    ['MUG-1', 'st-pir', 2],
  ] as const)
    await receive(t, sku, at, quantity)
  return {
    web: await createChannel(t, 'web', 'web'),
    posPatras: await createChannel(t, 'pos-pat', 'pos', { location: 'st-pat' }),
    clerkPatras: await t.staffKey('clerk', 'st-pat'),
    clerkAthens: await t.staffKey('clerk', 'st-ath'),
    manager: await t.staffKey('manager'),
  }
}

/** The ledger entries of one SKU at one location, oldest first. */
export async function ledgerAt(db: Kysely<any>, sku: string, location: string) {
  const rows = await sql<{ kind: string; quantity: number; reason: string }>`
    select kind, quantity::int as quantity, reason from inventory.ledger_entry
    where sku = ${sku} and location = ${location} order by id`.execute(db)
  return rows.rows
}
