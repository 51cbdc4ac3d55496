import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { placeOrder, seedShop, type ShopKeys } from '../../src/modules/orders/testing.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { engines } from '../support/engines.js'
import { ok } from '../support/replies.js'

const ship = { method: 'ship', address: { line1: '1 Odos', city: 'Athens', country: 'GR' } }

describe.each(engines)('what follows a customer merge on %s', (engine) => {
  let t: TestApp
  let keys: ShopKeys
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await seedShop(t)
  })

  const customer = (identities: object[]) => ok(t.call('POST', '/v1/customers', { identities }), 201)
  const cartOf = async (id: string) => (await ok(t.call('GET', `/v1/customers/${id}/cart`))).lines.map((l: any) => [l.sku, l.quantity])
  const ordersOf = async (id: string) => (await ok(t.call('GET', `/v1/customers/${id}/orders`))).data.map((o: any) => o.id)

  it('moves carts, orders and coupon uses to the survivor, and an unmerge gives them back', async () => {
    const web = await customer([{ kind: 'email', value: 'nora@example.com' }])
    t.clock.advance(60_000)
    const store = await customer([{ kind: 'phone', value: '+30 694 000 0001' }])
    await ok(t.call('POST', '/v1/promotions', {
      name: 'Once each',
      trigger: 'coupon',
      code: 'ONCE',
      discount: { type: 'percentage', percentOff: 10 },
      perCustomerLimit: 1,
    }), 201)

    const webCart = await ok(t.call('POST', '/v1/carts', { customerId: web.id }, { key: keys.web }), 201)
    await ok(t.call('POST', `/v1/carts/${webCart.id}/lines`, { sku: 'TEE-M', quantity: 1 }, { key: keys.web }))
    const storeCart = await ok(t.call('POST', '/v1/carts', { customerId: store.id }, { key: keys.pos }), 201)
    await ok(t.call('POST', `/v1/carts/${storeCart.id}/lines`, { sku: 'TEE-M', quantity: 2 }, { key: keys.pos }))
    await ok(t.call('POST', `/v1/carts/${storeCart.id}/lines`, { sku: 'MUG-1', quantity: 1 }, { key: keys.pos }))
    const bought = await ok(placeOrder(t, keys.pos, {
      customer: { id: store.id },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: ship,
      payment: { method: 'in_store' },
      coupon: 'ONCE',
    }), 201)

    const merged = await ok(t.call('POST', `/v1/customers/${store.id}/merge`, { otherId: web.id }))
    expect(merged.survivor.id).toBe(web.id)
    await t.dispatcher.drain()

    expect(await cartOf(web.id)).toEqual(expect.arrayContaining([['TEE-M', 3], ['MUG-1', 1]]))
    expect((await ok(t.call('GET', `/v1/carts/${storeCart.id}`))).status).toBe('merged')
    expect(await ordersOf(web.id)).toEqual([bought.id])
    expect((await ok(t.call('GET', `/v1/orders/${bought.id}`))).customerId).toBe(web.id)
    const again = await placeOrder(t, keys.web, {
      customer: { id: web.id },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: ship,
      payment: { method: 'cash_on_delivery' },
      coupon: 'ONCE',
    })
    expect(again.statusCode, again.body).toBe(422)
    expect(again.json().type).toBe('https://omnia.dev/problems/coupon-not-applicable')

    await ok(t.call('POST', `/v1/customers/${web.id}/unmerge`, { loserId: store.id }))
    await t.dispatcher.drain()
    expect(await ordersOf(store.id)).toEqual([bought.id])
    expect(await ordersOf(web.id)).toEqual([])
    expect((await ok(t.call('GET', `/v1/customers/${store.id}/cart`))).id).toBe(storeCart.id)
    expect(await cartOf(store.id)).toEqual(expect.arrayContaining([['TEE-M', 2], ['MUG-1', 1]]))
    expect(await cartOf(web.id)).toEqual([['TEE-M', 1]])
  })

  it('splits a folded cart back without losing or doubling what changed since the merge', async () => {
    const a = await customer([{ kind: 'email', value: 'a@example.com' }])
    t.clock.advance(60_000)
    const b = await customer([{ kind: 'email', value: 'b@example.com' }])
    t.clock.advance(60_000)
    const c = await customer([{ kind: 'email', value: 'c@example.com' }])
    const line = async (cartId: string, sku: string, quantity: number) =>
      ok(t.call('POST', `/v1/carts/${cartId}/lines`, { sku, quantity }, { key: keys.web }))
    const cartA = await ok(t.call('POST', '/v1/carts', { customerId: a.id }, { key: keys.web }), 201)
    await line(cartA.id, 'TEE-M', 1)
    const cartB = await ok(t.call('POST', '/v1/carts', { customerId: b.id }, { key: keys.app }), 201)
    await line(cartB.id, 'TEE-M', 2)
    await line(cartB.id, 'MUG-1', 1)
    // c's cart was b's before b was merged into a: it goes back with b.
    const cartC = await ok(t.call('POST', '/v1/carts', { customerId: c.id }, { key: keys.app }), 201)
    await line(cartC.id, 'MUG-1', 2)
    await ok(t.call('POST', `/v1/customers/${b.id}/merge`, { otherId: c.id }))
    await ok(t.call('POST', `/v1/customers/${a.id}/merge`, { otherId: b.id }))
    await t.dispatcher.drain()
    expect(await cartOf(a.id)).toEqual(expect.arrayContaining([['TEE-M', 3], ['MUG-1', 3]]))
    // The person takes two T-shirts and a mug out after the merge.
    await ok(t.call('PATCH', `/v1/carts/${cartA.id}/lines/TEE-M`, { quantity: 1 }, { key: keys.web }))
    await ok(t.call('PATCH', `/v1/carts/${cartA.id}/lines/MUG-1`, { quantity: 2 }, { key: keys.web }))

    await ok(t.call('POST', `/v1/customers/${a.id}/unmerge`, { loserId: b.id }))
    await t.dispatcher.drain()
    const back = await ok(t.call('GET', `/v1/customers/${b.id}/cart`))
    expect(back.id).toBe(cartB.id)
    expect(back.status).toBe('active')
    // b takes back at most what a's cart still holds: one T-shirt and both mugs; a keeps the rest.
    expect(await cartOf(b.id)).toEqual(expect.arrayContaining([['TEE-M', 1], ['MUG-1', 2]]))
    expect(await cartOf(a.id)).toEqual([])
    const events = await sql<{ cart: string; change: string }>`
      select payload ->> 'cartId' as cart, payload ->> 'change' as change from kernel.outbox
      where name = 'cart.updated' and payload ->> 'change' = 'split_off' order by id`.execute(t.db)
    expect(events.rows).toEqual([{ cart: cartB.id, change: 'split_off' }, { cart: cartA.id, change: 'split_off' }])

    // Merged and bought since: the folded cart stays closed, the items were ordered.
    await ok(t.call('POST', `/v1/customers/${a.id}/merge`, { otherId: b.id }))
    await t.dispatcher.drain()
    await ok(t.call('PATCH', `/v1/carts/${cartA.id}/lines/MUG-1`, { quantity: 1 }, { key: keys.web }))
    const bought = await ok(t.call('POST', '/v1/orders', { cartId: cartA.id, payment: { method: 'cash_on_delivery' } }, {
      key: keys.web,
      headers: { 'idempotency-key': 'split-1' },
    }), 201)
    expect(bought.lines.map((l: { quantity: number }) => l.quantity).reduce((x: number, y: number) => x + y)).toBe(2)
    await ok(t.call('POST', `/v1/customers/${a.id}/unmerge`, { loserId: b.id }))
    await t.dispatcher.drain()
    expect((await t.call('GET', `/v1/customers/${b.id}/cart`)).statusCode).toBe(404)
    expect((await ok(t.call('GET', `/v1/carts/${cartB.id}`))).status).toBe('merged')
  })

  it('replays nothing twice: a redelivered merge leaves the cart as it was', async () => {
    const a = await customer([{ kind: 'email', value: 'a@example.com' }])
    t.clock.advance(60_000)
    const b = await customer([{ kind: 'email', value: 'b@example.com' }])
    const cart = await ok(t.call('POST', '/v1/carts', { customerId: b.id }, { key: keys.app }), 201)
    await ok(t.call('POST', `/v1/carts/${cart.id}/lines`, { sku: 'MUG-1', quantity: 2 }, { key: keys.app }))
    await ok(t.call('POST', `/v1/customers/${a.id}/merge`, { otherId: b.id }))
    await t.dispatcher.drain()
    await t.dispatcher.drain()
    expect(await cartOf(a.id)).toEqual([['MUG-1', 2]])
    expect((await ok(t.call('GET', `/v1/customers/${b.id}/cart`))).id).toBe(cart.id)
  })
})
