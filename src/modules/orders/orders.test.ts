import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../../../test/support/engines.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import {
  orderCounts,
  orderEventNames,
  placeOrder,
  reservedAt,
  seedShop,
  type ShopKeys,
} from './testing.js'

const shipTo = { line1: 'Ermou 1', city: 'Athens', country: 'GR' }
const cash = { method: 'cash_on_delivery' }

describe.each(engines)('orders on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: ShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 12 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    keys = await seedShop(s.t)
  })

  const direct = (overrides: object = {}) => ({
    customer: { email: 'ana@example.com', name: 'Ana' },
    lines: [{ sku: 'TEE-M', quantity: 2 }],
    fulfillment: { method: 'ship', address: shipTo },
    payment: cash,
    ...overrides,
  })
  async function placed(key: string, body: object) {
    const res = await placeOrder(s.t, key, body)
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }

  it('rings up a POS sale at its store, and stamps the clerk on a staff order', async () => {
    const order = await placed(keys.pos, {
      customer: { email: 'walkin@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'pickup', location: 'ath-1' },
      payment: { method: 'in_store' },
    })
    expect(order).toMatchObject({
      status: 'confirmed',
      channel: 'pos-ath',
      store: 'ath-1',
      staff: null,
      lines: [
        {
          sku: 'TEE-M',
          quantity: 1,
          unitPrice: { amount: 1000, currency: 'EUR' },
          location: 'ath-1',
        },
      ],
      totals: { subtotal: 1000, discount: 0, shipping: 0, total: 1000, currency: 'EUR' },
      timeline: [{ status: 'confirmed', kind: 'placed' }],
    })
    expect(await reservedAt(s.t.db, 'TEE-M', 'ath-1')).toBe(1)

    const byClerk = await placed(keys.clerk, {
      customer: { id: order.customerId },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'pickup', location: 'ath-1' },
      payment: { method: 'in_store' },
    })
    expect(byClerk).toMatchObject({ store: 'ath-1', channel: null, customerId: order.customerId })
    expect(byClerk.staff).toEqual(expect.stringMatching(/^key_/))
    expect(byClerk.number).toBeGreaterThan(order.number)
    expect(await orderEventNames(s.t.db)).toEqual(['order.placed', 'order.placed'])
  })

  it('orders a web cart paid by card: confirmed, stock held at the warehouse', async () => {
    const customer = (
      await s.t.call(
        'POST',
        '/v1/customers',
        { identities: [{ kind: 'email', value: 'cart@example.com' }] },
        { key: keys.web },
      )
    ).json()
    const cart = (
      await s.t.call('POST', '/v1/carts', { customerId: customer.id }, { key: keys.web })
    ).json()
    await s.t.call(
      'POST',
      `/v1/carts/${cart.id}/lines`,
      { sku: 'TEE-M', quantity: 3 },
      { key: keys.web },
    )
    const order = await placed(keys.web, {
      cartId: cart.id,
      payment: { method: 'card', card: card(cards.visa) },
    })
    expect(order).toMatchObject({
      status: 'confirmed',
      channel: 'web',
      cartId: cart.id,
      customerId: customer.id,
      lines: [{ sku: 'TEE-M', quantity: 3, location: 'wh-1' }],
      totals: { total: 3000 },
    })
    expect(order.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'placed',
      'payment_authorized',
    ])
    const payment = (await s.t.call('GET', `/v1/payments/${order.payment.id}`)).json()
    expect(payment).toMatchObject({
      status: 'authorized',
      reference: order.id,
      amount: { amount: 3000 },
    })
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(3)
  })

  it('creates the customer a call-center agent types in by phone, and lists their orders', async () => {
    const order = await placed(
      keys.phone,
      direct({ customer: { phone: '+30 691 234 5678', name: 'Nikos' } }),
    )
    expect(order).toMatchObject({
      channel: 'phone',
      status: 'confirmed',
      fulfillment: { method: 'ship', address: shipTo },
    })
    const customer = (await s.t.call('GET', `/v1/customers/${order.customerId}`)).json()
    expect(customer.name).toBe('Nikos')
    const mine = (await s.t.call('GET', `/v1/customers/${order.customerId}/orders`)).json()
    expect(mine.data.map((o: { id: string }) => o.id)).toEqual([order.id])
    const track = (contact: string) =>
      s.t.call(
        'GET',
        `/v1/orders/track?number=${order.number}&contact=${encodeURIComponent(contact)}`,
        undefined,
        { key: keys.web },
      )
    expect((await track('+306912345678')).json().id).toBe(order.id)
    expect((await track('+30 691 234 5679')).statusCode).toBe(404)
  })

  it('refuses what cannot be served, says where stock is, and writes nothing', async () => {
    const before = await orderCounts(s.t.db)
    const res = await placeOrder(
      s.t,
      keys.insta,
      direct({
        customer: { email: 'new@example.com' },
        lines: [
          { sku: 'TEE-M', quantity: 1 },
          { sku: 'MUG-1', quantity: 3 },
        ],
      }),
    )
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      type: 'https://omnia.dev/problems/insufficient-stock',
      shortages: [
        {
          sku: 'MUG-1',
          requested: 3,
          available: 1,
          availableElsewhere: [
            { location: 'the-2', available: 3 },
            { location: 'wh-1', available: 1 },
          ],
        },
      ],
    })
    expect(await orderCounts(s.t.db)).toEqual(before)
  })

  it('answers ten concurrent retries of one key with one order and the same answer', async () => {
    const body = direct()
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => placeOrder(s.t, keys.web, body, 'checkout-42')),
    )
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(201))
    expect(new Set(answers.map((a) => a.body)).size).toBe(1)
    expect(await orderCounts(s.t.db)).toMatchObject({
      orders: 1,
      reservations: 1,
      reserved: 2,
      payments: 1,
    })
    const other = await placeOrder(
      s.t,
      keys.web,
      direct({ lines: [{ sku: 'TEE-M', quantity: 1 }] }),
      'checkout-42',
    )
    expect(other.statusCode).toBe(409)
    expect(other.json().type).toBe('https://omnia.dev/problems/idempotency-key-reused')
  })

  it('replays a placement retried after its last unit is gone, and the same key elsewhere', async () => {
    const body = direct({ lines: [{ sku: 'MUG-1', quantity: 1 }] })
    const first = await placeOrder(s.t, keys.web, body, 'last-mug')
    expect(first.statusCode, first.body).toBe(201)
    // The retry's own attempt would now find no MUG-1 to ship: it answers the first order.
    const again = await placeOrder(s.t, keys.web, body, 'last-mug')
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.body).toBe(first.body)
    const reused = await placeOrder(s.t, keys.web, direct(), 'last-mug')
    expect(reused.statusCode).toBe(409)
    expect(reused.json().type).toBe('https://omnia.dev/problems/idempotency-key-reused')
    // Another touchpoint's key is another namespace: its order is refused for lack of stock.
    const elsewhere = await placeOrder(s.t, keys.app, body, 'last-mug')
    expect(elsewhere.json().type).toBe('https://omnia.dev/problems/insufficient-stock')
    expect(await orderCounts(s.t.db)).toMatchObject({ orders: 1, reservations: 1, payments: 1 })
  })

  it('authorizes a card once when its checkout is retried concurrently', async () => {
    const body = direct({ payment: { method: 'card', card: card(cards.visa) } })
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => placeOrder(s.t, keys.app, body, 'pay-7')),
    )
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(201))
    expect(new Set(answers.map((a) => a.body)).size).toBe(1)
    expect(answers[0]!.json().status).toBe('confirmed')
    expect(s.server.intents.size).toBe(1)
    expect(await orderEventNames(s.t.db)).toEqual(['order.placed', 'order.confirmed'])
  })

  it('requires an Idempotency-Key', async () => {
    const res = await s.t.call('POST', '/v1/orders', direct(), { key: keys.web })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([
      { path: 'headers.idempotency-key', message: expect.any(String) },
    ])
    expect((await orderCounts(s.t.db)).orders).toBe(0)
  })

  it('moves a declined card order to payment_failed and gives its stock back', async () => {
    const order = await placed(
      keys.app,
      direct({ payment: { method: 'card', card: card(cards.declined) } }),
    )
    expect(order.status).toBe('payment_failed')
    expect(order.timeline.map((e: { status: string }) => e.status)).toEqual([
      'pending_payment',
      'payment_failed',
    ])
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(0)
    expect(await orderEventNames(s.t.db)).toEqual(['order.placed', 'order.payment_failed'])
    const cancel = await s.t.call('POST', `/v1/orders/${order.id}/cancel`, {})
    expect(cancel.statusCode).toBe(409)
    expect(cancel.json()).toMatchObject({ from: 'payment_failed', to: 'cancelled', allowed: [] })
  })

  it('answers a card order the provider cannot take with 502 naming it; the retry authorises it', async () => {
    const reachable = process.env.OMNIA_PAYMENT_PROVIDER_URL
    const body = direct({ payment: { method: 'card', card: card(cards.visa) } })
    process.env.OMNIA_PAYMENT_PROVIDER_URL = 'http://127.0.0.1:9'
    let down
    try {
      down = await placeOrder(s.t, keys.web, body, 'provider-down')
    } finally {
      process.env.OMNIA_PAYMENT_PROVIDER_URL = reachable
    }
    expect(down.statusCode, down.body).toBe(502)
    const problem = down.json()
    expect(problem).toMatchObject({
      type: 'https://omnia.dev/problems/payment-provider-unavailable',
      orderId: expect.stringMatching(/^ord_/),
      orderNumber: expect.any(Number),
      paymentId: expect.stringMatching(/^pay_/),
    })
    const waiting = (await s.t.call('GET', `/v1/orders/${problem.orderId}`)).json()
    expect(waiting).toMatchObject({ status: 'pending_payment', number: problem.orderNumber })
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(2)

    const retried = await placeOrder(s.t, keys.web, body, 'provider-down')
    expect(retried.statusCode, retried.body).toBe(201)
    expect(retried.json()).toMatchObject({ id: problem.orderId, status: 'confirmed' })
    expect(s.server.intents.size).toBe(1)
    expect((await orderCounts(s.t.db)).orders).toBe(1)
  })

  it('cancels before shipment: stock, payment and coupon are all given back', async () => {
    await s.t.call('POST', '/v1/promotions', {
      name: 'Ten off',
      trigger: 'coupon',
      code: 'TEN',
      discount: { type: 'percentage', percentOff: 10 },
      usageLimit: 1,
    })
    const order = await placed(
      keys.web,
      direct({ coupon: 'TEN', payment: { method: 'card', card: card(cards.visa) } }),
    )
    expect(order.totals).toMatchObject({ subtotal: 2000, discount: 200, total: 1800 })
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(2)
    const refused = await placeOrder(
      s.t,
      keys.web,
      direct({ customer: { email: 'bo@example.com' }, coupon: 'TEN' }),
    )
    expect(refused.statusCode).toBe(422)

    const cancelled = await s.t.call(
      'POST',
      `/v1/orders/${order.id}/cancel`,
      { reason: 'changed mind' },
      { key: keys.web },
    )
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    expect(cancelled.json().status).toBe('cancelled')
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(0)
    expect((await s.t.call('GET', `/v1/payments/${order.payment.id}`)).json().status).toBe('voided')
    expect(await orderEventNames(s.t.db)).toEqual([
      'order.placed',
      'order.confirmed',
      'order.cancelled',
    ])
    expect(
      (
        await placeOrder(
          s.t,
          keys.web,
          direct({ customer: { email: 'bo@example.com' }, coupon: 'TEN' }),
        )
      ).statusCode,
    ).toBe(201)
    const again = await s.t.call('POST', `/v1/orders/${order.id}/cancel`, {})
    expect(again.json()).toMatchObject({ status: 409, allowed: [] })
  })

  it('answers a placement exactly as the order reads back afterwards', async () => {
    const res = await placeOrder(
      s.t,
      keys.web,
      direct({
        fulfillment: {
          method: 'ship',
          address: { country: 'GR', line1: 'Ermou 1', city: 'Athens', postalCode: '10563' },
        },
      }),
    )
    expect(res.statusCode, res.body).toBe(201)
    const read = await s.t.call('GET', `/v1/orders/${res.json().id}`, undefined, { key: keys.web })
    expect(read.body).toBe(res.body)
  })

  it('takes an order with nothing to pay by card without charging the card, and cancels it', async () => {
    await s.t.call('POST', '/v1/promotions', {
      name: 'On the house',
      trigger: 'coupon',
      code: 'FREE',
      discount: { type: 'percentage', percentOff: 100 },
    })
    const order = await placed(
      keys.web,
      direct({ coupon: 'FREE', payment: { method: 'card', card: card(cards.visa) } }),
    )
    expect(order.status).toBe('confirmed')
    expect(order.totals).toMatchObject({ subtotal: 2000, discount: 2000, shipping: 0, total: 0 })
    const payment = async () => (await s.t.call('GET', `/v1/payments/${order.payment.id}`)).json()
    expect(await payment()).toMatchObject({ status: 'authorized', amount: { amount: 0 } })
    const cancelled = await s.t.call('POST', `/v1/orders/${order.id}/cancel`, {}, { key: keys.web })
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    expect((await payment()).status).toBe('voided')
    expect(s.server.intents.size).toBe(0)
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(0)
  })

  it('tracks an order by number and email, and hides it behind any other contact', async () => {
    const order = await placed(keys.web, direct())
    const track = (number: number, contact: string) =>
      s.t.call(
        'GET',
        `/v1/orders/track?number=${number}&contact=${encodeURIComponent(contact)}`,
        undefined,
        { key: keys.web },
      )
    const found = await track(order.number, '  ANA@Example.com ')
    expect(found.statusCode).toBe(200)
    expect(found.json().id).toBe(order.id)
    await placed(keys.web, direct({ customer: { email: 'eve@example.com' } }))
    const wrong = await track(order.number, 'eve@example.com')
    const unknown = await track(order.number, 'nobody@example.com')
    const missing = await track(order.number + 100, 'ana@example.com')
    for (const r of [wrong, unknown, missing]) {
      expect(r.statusCode).toBe(404)
      expect(r.json().detail).toBe(
        `No order ${r === missing ? order.number + 100 : order.number} for that contact`,
      )
    }
  })

  it('lists the order book for staff by channel and status, and not for touchpoints', async () => {
    const web = await placed(keys.web, direct())
    const failed = await placed(
      keys.app,
      direct({ payment: { method: 'card', card: card(cards.declined) } }),
    )
    const list = (query: string) =>
      s.t
        .call('GET', `/v1/orders?${query}`)
        .then((r) => r.json().data.map((o: { id: string }) => o.id))
    expect(await list('')).toEqual([failed.id, web.id])
    expect(await list('channel=web')).toEqual([web.id])
    expect(await list('status=payment_failed')).toEqual([failed.id])
    const page = (await s.t.call('GET', '/v1/orders?limit=1')).json()
    expect(
      (await s.t.call('GET', `/v1/orders?limit=1&cursor=${page.nextCursor}`)).json().data[0].id,
    ).toBe(web.id)
    expect((await s.t.call('GET', '/v1/orders', undefined, { key: keys.web })).statusCode).toBe(403)
    expect(
      (await s.t.call('GET', `/v1/orders/${web.id}`, undefined, { key: keys.pos })).json().id,
    ).toBe(web.id)
  })

  it('refuses bad input at the field that is wrong', async () => {
    const res = await placeOrder(s.t, keys.web, {
      customer: {},
      lines: [
        { sku: 'NOPE', quantity: 1 },
        { sku: 'NOPE', quantity: 1 },
      ],
      fulfillment: { method: 'pickup' },
      payment: { method: 'card' },
    })
    expect(res.statusCode).toBe(400)
    expect(
      res
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['customer.id', 'fulfillment.location', 'lines.1.sku', 'payment.card'].sort())
    const unpriced = await placeOrder(
      s.t,
      keys.web,
      direct({ lines: [{ sku: 'NOPE', quantity: 1 }] }),
    )
    expect(unpriced.json().errors).toEqual([{ path: 'lines.0.sku', message: 'NOPE has no price' }])
    expect(await orderCounts(s.t.db)).toMatchObject({ orders: 0, customers: 0 })
  })
})
