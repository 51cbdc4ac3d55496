import { sql, type Kysely } from 'kysely'
import type { TestApp } from '../../../test/support/app.js'
import { transition } from '../fulfillment/testing.js'
import { locationBody, receive } from '../inventory/testing.js'
import { placeOrder, seedShop, type ShopKeys } from '../orders/testing.js'

/** Test helpers for return suites; production code never imports this file. */

export const shipTo = { line1: 'Ermou 1', city: 'Athens', country: 'GR' }

async function ok(reply: Promise<{ statusCode: number; body: string }>, status: number, what: string) {
  const r = await reply
  if (r.statusCode !== status) throw new Error(`${what} answered ${r.statusCode}: ${r.body}`)
  return JSON.parse(r.body)
}

export const policy = {
  windowDays: 30,
  acceptedConditions: ['unopened', 'as_new', 'damaged'],
  quarantineConditions: ['damaged'],
  idProofChannelKinds: ['pos'],
  nonReturnableCategories: ['intimates'],
  quarantineLocation: 'quar-1',
  postLocation: null,
}

/**
 * The order suites' shop (`seedShop`) plus what returns need: `quar-1`, a quarantine that
 * sells, ships and collects nothing; `pop-1`, a pop-up store that takes no returns; BRA-1
 * (15.00 EUR, category `intimates`, which the policy bars), SOCK-1 (4.00), COAT-1 (25.00) and
 * TEE-L (10.00), each 5 at ath-1 and wh-1; and the policy above.
 */
export async function seedReturnsShop(t: TestApp): Promise<ShopKeys> {
  const keys = await seedShop(t)
  const closed = { shipFrom: false, pickup: false, acceptReturns: false }
  await ok(
    t.call('POST', '/v1/locations', { ...locationBody('quar-1', { kind: 'warehouse' }), capabilities: closed }),
    201,
    'quarantine',
  )
  await ok(
    t.call('POST', '/v1/locations', {
      ...locationBody('pop-1'),
      capabilities: { shipFrom: false, pickup: true, acceptReturns: false },
    }),
    201,
    'pop-up',
  )
  await ok(t.call('POST', '/v1/categories', { code: 'intimates', name: 'Intimates' }), 201, 'category')
  const products = [
    { sku: 'BRA-1', amount: 1500, categories: ['intimates'] },
    { sku: 'SOCK-1', amount: 400, categories: [] },
    { sku: 'COAT-1', amount: 2500, categories: [] },
    { sku: 'TEE-L', amount: 1000, categories: [] },
  ]
  for (const p of products)
    await ok(
      t.call('POST', '/v1/products', {
        title: p.sku,
        categories: p.categories,
        variants: [{ sku: p.sku, price: { amount: p.amount, currency: 'EUR' } }],
      }),
      201,
      p.sku,
    )
  for (const p of products) {
    await receive(t, p.sku, 'wh-1', 5)
    await receive(t, p.sku, 'ath-1', 5)
  }
  await ok(t.call('PUT', '/v1/return-policy', policy), 200, 'policy')
  return keys
}

let keys = 0

/** Sends a return as `key` with a fresh Idempotency-Key unless one is given. */
export function returnGoods(t: TestApp, key: string, body: object, idempotencyKey = `ret-${++keys}`) {
  return t.call('POST', '/v1/returns', body, { key, headers: { 'idempotency-key': idempotencyKey } })
}

/** Sends an exchange as `key` with a fresh Idempotency-Key unless one is given. */
export function exchange(t: TestApp, key: string, body: object, idempotencyKey = `exc-${++keys}`) {
  return t.call('POST', '/v1/exchanges', body, { key, headers: { 'idempotency-key': idempotencyKey } })
}

/** Receives a by-post return's parcel, as staff of no location unless `key` is given. */
export function receiveParcel(
  t: TestApp,
  id: string,
  body: object = {},
  options: { key?: string; idempotencyKey?: string } = {},
) {
  return t.call('POST', `/v1/returns/${id}/receive`, body, {
    ...(options.key && { key: options.key }),
    headers: { 'idempotency-key': options.idempotencyKey ?? `rcv-${++keys}` },
  })
}

/** Receives a parcel (see `receiveParcel`) and answers the return, failing on anything but 200. */
export function parcelReceived(t: TestApp, id: string, body: object = {}, key?: string) {
  return ok(receiveParcel(t, id, body, key ? { key } : {}), 200, 'receipt')
}

/** Places an order as `key` and answers it, failing the test on anything but 201. */
export function placed(t: TestApp, key: string, body: object) {
  return ok(placeOrder(t, key, body), 201, 'order')
}

/** Ships and delivers (or hands over at the counter) every fulfilment of an order. */
export async function handOver(t: TestApp, order: { id: string }, until = 'delivered') {
  const current = await ok(t.call('GET', `/v1/orders/${order.id}`), 200, 'order')
  for (const f of current.fulfillments as { id: string; method: string }[]) {
    const steps =
      f.method === 'pickup'
        ? [{ to: 'ready_for_pickup' }, { to: 'picked_up' }]
        : [
            { to: 'picking' },
            { to: 'packed' },
            { to: 'shipped', carrier: 'ELTA', trackingNumber: 'EL123' },
            { to: 'delivered' },
          ]
    for (const step of steps) {
      await ok(transition(t, f.id, step), 200, `${f.id} ${step.to}`)
      if (step.to === until) break
    }
  }
  return ok(t.call('GET', `/v1/orders/${order.id}`), 200, 'order')
}

/** Everything a refused return or exchange must leave as it was. */
export async function returnSnapshot(db: Kysely<any>) {
  const rows = await sql<Record<string, unknown>>`
    select (select count(*)::int from returns.return) as returns,
           (select count(*)::int from returns.return where received_at is not null) as received,
           (select count(*)::int from returns.return_line) as lines,
           (select coalesce(sum(quantity), 0)::int from returns.returned_quantity) as returned,
           (select count(*)::int from inventory.ledger_entry) as ledger,
           (select json_agg(s order by sku, location) from inventory.stock_level s) as stock,
           (select count(*)::int from orders.order) as orders,
           (select json_agg(p order by id) from (select id, status, refunded_minor
              from payments.payment) p) as payments,
           (select count(*)::int from payments.stored_value_account) as accounts,
           (select count(*)::int from kernel.idempotency_key) as keys,
           (select count(*)::int from kernel.outbox) as events`.execute(db)
  return JSON.stringify(rows.rows[0])
}

/** Names, profiles and channels of the return events in the outbox, oldest first. */
export async function returnEvents(db: Kysely<any>) {
  const rows = await sql<{ name: string; profileId: string | null; channel: string | null; payload: any }>`
    select name, profile_id as "profileId", channel, payload from kernel.outbox
    where name like 'return.%' order by id`.execute(db)
  return rows.rows
}

/** Ledger entries of a reference (a return id), oldest first. */
export async function ledgerOf(db: Kysely<any>, reference: string) {
  const rows = await sql<{ sku: string; location: string; kind: string; quantity: number }>`
    select sku, location, kind, quantity::int as quantity from inventory.ledger_entry
    where reference = ${reference} order by id`.execute(db)
  return rows.rows
}
