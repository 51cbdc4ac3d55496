import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { placeOrder, seedShop, type ShopKeys } from '../../src/modules/orders/testing.js'
import { stockAt, transition } from '../../src/modules/fulfillment/testing.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { engines } from '../support/engines.js'
import { ok } from '../support/replies.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' })

describe.each(engines)('one customer across channels on %s', (engine) => {
  let t: TestApp
  let keys: ShopKeys
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 8 })
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await seedShop(t)
  })

  const as = (key: string, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => t.call(method, url, body, { key })

  it('starts a cart anonymously on the web, identifies on the app, and pays for it at the store counter', async () => {
    const cart = await ok(as(keys.web, 'POST', '/v1/carts', { anonymousId: 'visitor-7' }), 201)
    await ok(as(keys.web, 'POST', `/v1/carts/${cart.id}/lines`, { sku: 'TEE-M', quantity: 1 }))
    const identified = await ok(as(keys.app, 'POST', `/v1/carts/${cart.id}/identify`, {
      identities: [{ kind: 'phone', value: '+30 694 111 2233' }],
      name: 'Eleni',
    }))
    const customerId = identified.customerId as string
    await ok(as(keys.app, 'POST', `/v1/carts/${cart.id}/lines`, { sku: 'TEE-M', quantity: 1 }))

    // At the counter the clerk finds the customer by the phone she gives, and her cart with her.
    const found = await ok(as(keys.pos, 'GET', `/v1/customers?identity=${encodeURIComponent('phone:+306941112233')}`))
    expect(found.data.map((c: { id: string }) => c.id)).toEqual([customerId])
    const atCounter = await ok(as(keys.pos, 'GET', `/v1/customers/${customerId}/cart`))
    expect(atCounter).toMatchObject({ id: cart.id, total: eur(2000) })
    await ok(as(keys.pos, 'PUT', `/v1/carts/${cart.id}/fulfillment`, { method: 'pickup', location: 'ath-1' }))

    const order = await ok(placeOrder(t, keys.pos, { cartId: cart.id, payment: { method: 'in_store' } }), 201)
    expect(order).toMatchObject({
      channel: 'pos-ath',
      store: 'ath-1',
      customerId,
      cartId: cart.id,
      status: 'confirmed',
      totals: { subtotal: 2000, discount: 0, total: 2000, currency: 'EUR' },
      lines: [{ sku: 'TEE-M', quantity: 2, location: 'ath-1' }],
    })
    // Handed over across the counter: the parcel is ready and collected at once.
    const [parcel] = order.fulfillments
    await ok(transition(t, parcel.id, { to: 'ready_for_pickup' }, keys.clerk))
    await ok(transition(t, parcel.id, { to: 'picked_up' }, keys.clerk))
    expect(await stockAt(t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 0, reserved: 0 })
    expect((await ok(t.call('GET', `/v1/payments/${order.payment.id}`))).status).toBe('captured')

    // The call center sees the same order in the customer's history.
    const history = await ok(as(keys.phone, 'GET', `/v1/customers/${customerId}/orders`))
    expect(history.data.map((o: { id: string; status: string }) => [o.id, o.status])).toEqual([[order.id, 'delivered']])
  })

  it('lets a once-per-customer coupon be used by exactly one of two orders racing from the web and the till', async () => {
    await ok(t.call('POST', '/v1/promotions', {
      name: 'Welcome',
      trigger: 'coupon',
      code: 'WELCOME',
      discount: { type: 'percentage', percentOff: 20 },
      perCustomerLimit: 1,
    }), 201)
    for (let round = 0; round < 6; round++) {
      const phone = `+30 694 000 10${String(round).padStart(2, '0')}`
      const customer = await ok(t.call('POST', '/v1/customers', { identities: [{ kind: 'phone', value: phone }] }), 201)
      const order = (key: string, payment: object) =>
        placeOrder(t, key, {
          customer: { phone },
          lines: [{ sku: 'TEE-M', quantity: 1 }],
          fulfillment: { method: 'ship', address: { line1: '1 Odos', city: 'Athens', country: 'GR' } },
          payment,
          coupon: 'welcome',
        })
      const answers = await Promise.all([order(keys.web, { method: 'cash_on_delivery' }), order(keys.pos, { method: 'in_store' })])
      const statuses = answers.map((a) => a.statusCode).sort()
      expect(statuses, answers.map((a) => a.body).join('\n')).toEqual([201, 422])
      const refused = answers.find((a) => a.statusCode === 422)!.json()
      expect(refused).toMatchObject({ type: 'https://omnia.dev/problems/coupon-not-applicable', code: 'WELCOME' })
      const won = answers.find((a) => a.statusCode === 201)!.json()
      expect(won).toMatchObject({ customerId: customer.id, coupon: 'WELCOME', totals: { discount: 200, total: 800 } })
    }
    const book = await ok(t.call('GET', '/v1/orders?limit=100'))
    expect(book.data).toHaveLength(6)
  })
})
