import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { ok } from '../../../test/support/replies.js'
import { placeOrder } from '../orders/testing.js'
import { cartEventsOf, seedShop, type Keys } from './testing.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' })

describe.each(engines)('coupons and promotions on carts on %s', (engine) => {
  let t: TestApp
  let keys: Keys
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await seedShop(t)
  })

  const call = (
    key: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ) => t.call(method, url, body, { key })
  const promotion = async (body: object) =>
    ok(
      t.call('POST', '/v1/promotions', {
        discount: { type: 'percentage', percentOff: 10 },
        ...body,
      }),
      201,
    )
  const startWith = async (key: string, anonymousId: string, lines: [string, number][]) => {
    const cart = await ok(call(key, 'POST', '/v1/carts', { anonymousId }), 201)
    let view = cart
    for (const [sku, quantity] of lines)
      view = await ok(call(key, 'POST', `/v1/carts/${cart.id}/lines`, { sku, quantity }))
    return view
  }
  const applyCoupon = (key: string, cart: string, code: string) =>
    call(key, 'PUT', `/v1/carts/${cart}/coupon`, { code })

  it('shows what an order placed from the cart would pay, coupon and automatic promotion included', async () => {
    await promotion({ name: 'Winter sale', stackable: true })
    const save5 = await promotion({
      name: 'Five off thirty',
      trigger: 'coupon',
      code: 'SAVE5',
      discount: { type: 'fixed', amountOff: eur(500) },
      minSpend: eur(3000),
      stackable: true,
    })
    const cart = await startWith(keys.web, 'anon-1', [['TEE-M', 2]])
    expect(cart).toMatchObject({
      subtotal: eur(2000),
      discount: eur(200),
      total: eur(1800),
      coupon: null,
    })
    expect(cart.promotions).toEqual([
      expect.objectContaining({ name: 'Winter sale', code: null, amount: eur(200) }),
    ])

    // Below its minimum spend the code stays on the cart and says why it does not apply yet.
    const waiting = await ok(applyCoupon(keys.web, cart.id, 'save5'))
    expect(waiting.coupon).toEqual({ code: 'SAVE5', applied: false, reason: 'min-spend-not-met' })
    expect(waiting.discount).toEqual(eur(200))

    const full = await ok(
      call(keys.web, 'POST', `/v1/carts/${cart.id}/lines`, { sku: 'MUG-1', quantity: 1 }),
    )
    expect(full.coupon).toEqual({ code: 'SAVE5', applied: true, reason: null })
    expect(full).toMatchObject({ subtotal: eur(3000), discount: eur(800), total: eur(2200) })
    expect(
      full.lines.reduce(
        (n: number, l: { discount: { amount: number } }) => n + l.discount.amount,
        0,
      ),
    ).toBe(800)
    expect(full.promotions.map((p: { code: string | null }) => p.code).sort()).toEqual([
      'SAVE5',
      null,
    ])

    // The shopper names themselves on the app; the clerk sees the same cart and totals.
    const identified = await ok(
      call(keys.app, 'POST', `/v1/carts/${cart.id}/identify`, {
        identities: [{ kind: 'email', value: 'eva@example.com' }],
      }),
    )
    const atCounter = await ok(call(keys.pos, 'GET', `/v1/customers/${identified.customerId}/cart`))
    expect(atCounter).toMatchObject({
      id: cart.id,
      discount: eur(800),
      total: eur(2200),
      coupon: full.coupon,
    })

    const order = await ok(
      placeOrder(t, keys.pos, { cartId: cart.id, payment: { method: 'in_store' } }),
      201,
    )
    expect(order.coupon).toBe('SAVE5')
    expect(order.totals).toMatchObject({
      subtotal: 3000,
      discount: 800,
      total: 2200 + order.totals.shipping,
    })
    const shares = (lines: { sku: string; discount: { amount: number } }[]) =>
      Object.fromEntries(lines.map((l) => [l.sku, l.discount.amount]))
    expect(shares(order.lines)).toEqual(shares(atCounter.lines))
    expect((await ok(t.call('GET', `/v1/promotions/${save5.id}`))).used).toBe(1)
  })

  it('refuses a code that cannot be used and keeps the coupon the cart had', async () => {
    const save5 = await promotion({
      name: 'Five off',
      trigger: 'coupon',
      code: 'SAVE5',
      discount: { type: 'fixed', amountOff: eur(500) },
    })
    await promotion({ name: 'Old', trigger: 'coupon', code: 'OLD10' }).then((p) =>
      ok(t.call('PATCH', `/v1/promotions/${p.id}`, { active: false })),
    )
    const cart = await startWith(keys.web, 'anon-1', [['TEE-M', 1]])
    await ok(applyCoupon(keys.web, cart.id, 'SAVE5'))
    for (const [code, reason] of [
      ['NOPE1', 'unknown-code'],
      ['OLD10', 'inactive'],
    ]) {
      const refused = await applyCoupon(keys.web, cart.id, code!)
      expect(refused.statusCode, refused.body).toBe(422)
      expect(refused.json()).toMatchObject({
        type: expect.stringMatching(/coupon-not-applicable$/),
        reason,
        code,
      })
    }
    const after = await ok(call(keys.web, 'GET', `/v1/carts/${cart.id}`))
    expect(after).toMatchObject({
      coupon: { code: 'SAVE5', applied: true, reason: null },
      total: eur(500),
    })
    expect(after.promotions).toEqual([
      expect.objectContaining({ promotionId: save5.id, amount: eur(500) }),
    ])

    const removed = await ok(call(keys.web, 'DELETE', `/v1/carts/${cart.id}/coupon`))
    expect(removed).toMatchObject({
      coupon: null,
      discount: eur(0),
      total: eur(1000),
      promotions: [],
    })
    const changes = (await cartEventsOf(t.db)).map((e) => e.payload.change)
    expect(changes.filter((c) => String(c).startsWith('coupon'))).toEqual([
      'coupon_applied',
      'coupon_removed',
    ])
  })

  it('holds a once-per-customer coupon on an anonymous cart until the visitor names themselves', async () => {
    await promotion({ name: 'Welcome', trigger: 'coupon', code: 'WELCOME', perCustomerLimit: 1 })
    const cart = await startWith(keys.web, 'anon-1', [['TEE-M', 2]])
    const waiting = await ok(applyCoupon(keys.web, cart.id, 'WELCOME'))
    expect(waiting).toMatchObject({
      coupon: { code: 'WELCOME', applied: false, reason: 'customer-required' },
      discount: eur(0),
    })
    const named = await ok(
      call(keys.web, 'POST', `/v1/carts/${cart.id}/identify`, {
        identities: [{ kind: 'phone', value: '+306912345678' }],
      }),
    )
    expect(named).toMatchObject({
      coupon: { code: 'WELCOME', applied: true },
      discount: eur(200),
      total: eur(1800),
    })
    await ok(
      placeOrder(t, keys.web, { cartId: cart.id, payment: { method: 'cash_on_delivery' } }),
      201,
    )

    // Used once: the same customer's next cart cannot take it.
    const next = await ok(call(keys.web, 'GET', `/v1/customers/${named.customerId}/cart`))
    await ok(call(keys.web, 'POST', `/v1/carts/${next.id}/lines`, { sku: 'TEE-M', quantity: 1 }))
    const again = await applyCoupon(keys.web, next.id, 'WELCOME')
    expect(again.statusCode, again.body).toBe(422)
    expect(again.json().reason).toBe('customer-limit-reached')
  })

  it("carries a visitor's coupon into the customer's cart when the carts merge", async () => {
    await promotion({
      name: 'Five off',
      trigger: 'coupon',
      code: 'SAVE5',
      discount: { type: 'fixed', amountOff: eur(500) },
    })
    const customer = await ok(
      t.call('POST', '/v1/customers', {
        identities: [{ kind: 'email', value: 'nik@example.com' }],
      }),
      201,
    )
    const own = await ok(call(keys.app, 'POST', '/v1/carts', { customerId: customer.id }), 201)
    await ok(call(keys.app, 'POST', `/v1/carts/${own.id}/lines`, { sku: 'MUG-1', quantity: 1 }))
    const visitor = await startWith(keys.web, 'anon-9', [['TEE-M', 1]])
    await ok(applyCoupon(keys.web, visitor.id, 'SAVE5'))
    const merged = await ok(
      call(keys.web, 'POST', `/v1/carts/${visitor.id}/identify`, {
        identities: [{ kind: 'email', value: 'nik@example.com' }],
      }),
    )
    expect(merged.id).toBe(own.id)
    expect(merged).toMatchObject({
      coupon: { code: 'SAVE5', applied: true },
      subtotal: eur(2000),
      total: eur(1500),
    })
  })

  it("counts stock a till's shipment can come from, as placement sources it (endless aisle)", async () => {
    // ath-1 holds 2 tees and does not ship; wh-1 holds 50 and ships.
    const cart = await startWith(keys.pos, 'anon-till', [['TEE-M', 5]])
    expect(cart.lines[0]).toMatchObject({ available: 50, isAvailable: true })
    const pickup = await ok(
      call(keys.pos, 'PUT', `/v1/carts/${cart.id}/fulfillment`, {
        method: 'pickup',
        location: 'ath-1',
      }),
    )
    expect(pickup.lines[0]).toMatchObject({ available: 2, isAvailable: false })
    await ok(call(keys.pos, 'PUT', `/v1/carts/${cart.id}/fulfillment`, { method: 'ship' }))
    await ok(
      call(keys.pos, 'POST', `/v1/carts/${cart.id}/identify`, {
        identities: [{ kind: 'email', value: 'till@example.com' }],
      }),
    )
    const order = await ok(
      placeOrder(t, keys.pos, {
        cartId: cart.id,
        fulfillment: { address: { line1: '1 Main street', city: 'Athens', country: 'GR' } },
        payment: { method: 'in_store' },
      }),
      201,
    )
    expect(order.lines).toEqual([
      expect.objectContaining({ sku: 'TEE-M', quantity: 5, location: 'wh-1' }),
    ])
  })
})
