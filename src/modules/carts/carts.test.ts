import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { ok } from '../../../test/support/replies.js'
import { abandonIdleCarts } from './abandonment.js'
import { cartEventsOf, seedShop, type Keys } from './testing.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' })

describe.each(engines)('carts on %s', (engine) => {
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

  const call = (key: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    t.call(method, url, body, { key })
  const startAnonymous = (key: string, anonymousId: string) =>
    ok(call(key, 'POST', '/v1/carts', { anonymousId }), 201)
  const add = (key: string, cart: string, sku: string, quantity: number) =>
    ok(call(key, 'POST', `/v1/carts/${cart}/lines`, { sku, quantity }))

  it('follows one shopper from the web to the app to the store counter with the same cart and totals', async () => {
    const cart = await startAnonymous(keys.web, 'anon-phone-1')
    expect(cart).toMatchObject({ status: 'active', channel: 'web', customerId: null, currency: null, lines: [] })
    await add(keys.web, cart.id, 'TEE-M', 2)
    const webCart = await add(keys.web, cart.id, 'MUG-1', 1)
    expect(webCart.currency).toBe('EUR')
    expect(webCart.total).toEqual(eur(3000))

    const identified = await ok(
      call(keys.app, 'POST', `/v1/carts/${cart.id}/identify`, {
        identities: [{ kind: 'email', value: ' Maria@Example.COM ' }],
        name: 'Maria',
      }),
    )
    expect(identified.id).toBe(cart.id)
    const customerId = identified.customerId as string
    expect(customerId).toMatch(/^cus_/)
    const customer = await ok(call(keys.app, 'GET', `/v1/customers/${customerId}`))
    expect(customer.identities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'email', value: 'maria@example.com' }),
        expect.objectContaining({ kind: 'anonymous_id', value: 'anon-phone-1' }),
      ]),
    )

    await add(keys.app, cart.id, 'TEE-M', 1)
    const atCounter = await ok(call(keys.pos, 'GET', `/v1/customers/${customerId}/cart`))
    expect(atCounter).toMatchObject({ id: cart.id, status: 'active', customerId, currency: 'EUR' })
    expect(atCounter.lines).toEqual([
      expect.objectContaining({ sku: 'TEE-M', quantity: 3, unitPrice: eur(1000), lineTotal: eur(3000) }),
      expect.objectContaining({ sku: 'MUG-1', quantity: 1, unitPrice: eur(1000), lineTotal: eur(1000) }),
    ])
    expect(atCounter).toMatchObject({ subtotal: eur(4000), discount: eur(0), total: eur(4000) })

    const events = await cartEventsOf(t.db)
    expect(events.map((e) => [e.payload.change, e.channel])).toEqual([
      ['created', 'web'],
      ['line_added', 'web'],
      ['line_added', 'web'],
      ['identified', 'app'],
      ['line_added', 'app'],
    ])
    expect(events.at(-1)).toMatchObject({ name: 'cart.updated', profile_id: customerId })
  })

  it('merges an anonymous cart into the customer cart, summing quantities and dropping nothing', async () => {
    const created = await ok(call(keys.app, 'POST', '/v1/customers', { identities: [{ kind: 'email', value: 'nik@example.com' }] }), 201)
    const theirs = await ok(call(keys.app, 'POST', '/v1/carts', { customerId: created.id }), 201)
    await add(keys.app, theirs.id, 'TEE-M', 2)
    const anonymous = await startAnonymous(keys.web, 'anon-laptop')
    await add(keys.web, anonymous.id, 'TEE-M', 3)
    await add(keys.web, anonymous.id, 'MUG-1', 1)

    const merged = await ok(
      call(keys.web, 'POST', `/v1/carts/${anonymous.id}/identify`, { identities: [{ kind: 'email', value: 'NIK@example.com' }] }),
    )
    expect(merged.id).toBe(theirs.id)
    expect(merged.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([
      ['TEE-M', 5],
      ['MUG-1', 1],
    ])
    expect(merged.total).toEqual(eur(6000))
    const closed = await ok(call(keys.web, 'GET', `/v1/carts/${anonymous.id}`))
    expect(closed).toMatchObject({ status: 'merged', mergedInto: theirs.id })
    const refused = await call(keys.web, 'POST', `/v1/carts/${anonymous.id}/lines`, { sku: 'TEE-M', quantity: 1 })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ type: 'https://omnia.dev/problems/illegal-transition', mergedInto: theirs.id })
    expect((await ok(call(keys.pos, 'GET', `/v1/customers/${created.id}/cart`))).id).toBe(theirs.id)
    const events = await cartEventsOf(t.db)
    expect(events.filter((e) => e.name === 'cart.merged')).toEqual([
      expect.objectContaining({ payload: { cartId: anonymous.id, into: theirs.id, customerId: created.id } }),
    ])
  })

  it('keeps every unit of both carts when merging, whatever the lines', async () => {
    let run = 0
    const lines = fc.array(fc.tuple(fc.constantFrom('TEE-M', 'MUG-1'), fc.integer({ min: 1, max: 5 })), { maxLength: 4 })
    await fc.assert(
      fc.asyncProperty(lines, lines, async (mine, anonymous) => {
        run++
        const email = `p${run}@example.com`
        const customer = await ok(call(keys.app, 'POST', '/v1/customers', { identities: [{ kind: 'email', value: email }] }), 201)
        const theirs = await ok(call(keys.app, 'POST', '/v1/carts', { customerId: customer.id, currency: 'EUR' }), 201)
        const visitor = await ok(call(keys.web, 'POST', '/v1/carts', { anonymousId: `anon-${run}`, currency: 'EUR' }), 201)
        for (const [sku, n] of mine) await add(keys.app, theirs.id, sku, n)
        for (const [sku, n] of anonymous) await add(keys.web, visitor.id, sku, n)
        const merged = await ok(call(keys.web, 'POST', `/v1/carts/${visitor.id}/identify`, { identities: [{ kind: 'email', value: email }] }))
        const expected = new Map<string, number>()
        for (const [sku, n] of [...mine, ...anonymous]) expected.set(sku, (expected.get(sku) ?? 0) + n)
        const got = new Map(merged.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity]))
        expect(got).toEqual(expected)
        expect(merged.total).toEqual(eur(1000 * [...expected.values()].reduce((a, b) => a + b, 0)))
      }),
      { numRuns: 8 },
    )
  })

  it('gives a customer or visitor with an open cart that cart back instead of a second one', async () => {
    const first = await startAnonymous(keys.web, 'anon-1')
    const again = await ok(call(keys.app, 'POST', '/v1/carts', { anonymousId: 'anon-1' }), 200)
    expect(again.id).toBe(first.id)
    expect(again).not.toHaveProperty('created')
    const replayed = await t.call('POST', '/v1/carts', { anonymousId: 'anon-2' }, { key: keys.web, headers: { 'idempotency-key': 'k-1' } })
    const retried = await t.call('POST', '/v1/carts', { anonymousId: 'anon-2' }, { key: keys.web, headers: { 'idempotency-key': 'k-1' } })
    expect([replayed.statusCode, retried.statusCode]).toEqual([201, 201])
    expect(retried.json().id).toBe(replayed.json().id)
    expect(retried.headers['idempotent-replayed']).toBe('true')
  })

  it("prices every line from the calling channel's price book, following an override", async () => {
    const cart = await startAnonymous(keys.web, 'anon-1')
    await add(keys.web, cart.id, 'TEE-M', 2)
    await ok(
      t.call('PUT', '/v1/pricing/overrides/TEE-M/app', { price: eur(800), reason: 'app launch price' }),
    )
    const onApp = await ok(call(keys.app, 'GET', `/v1/carts/${cart.id}`))
    expect(onApp.lines[0]).toMatchObject({ unitPrice: eur(800), lineTotal: eur(1600) })
    expect(onApp.total).toEqual(eur(1600))
    const onWeb = await ok(call(keys.web, 'GET', `/v1/carts/${cart.id}`))
    expect(onWeb.total).toEqual(eur(2000))
  })

  it('refuses a SKU without a price in the cart currency, and an unknown SKU, writing nothing', async () => {
    const cart = await ok(call(keys.web, 'POST', '/v1/carts', { anonymousId: 'anon-1', currency: 'USD' }), 201)
    for (const sku of ['TEE-M', 'NOPE-1']) {
      const r = await call(keys.web, 'POST', `/v1/carts/${cart.id}/lines`, { sku, quantity: 1 })
      expect(r.statusCode).toBe(400)
      expect(r.json().errors).toEqual([expect.objectContaining({ path: 'sku' })])
    }
    expect((await ok(call(keys.web, 'GET', `/v1/carts/${cart.id}`))).lines).toEqual([])
  })

  it('shows availability over the selling locations when shipping and at the store for pickup', async () => {
    const cart = await startAnonymous(keys.web, 'anon-1')
    await add(keys.web, cart.id, 'TEE-M', 3)
    const shipped = await add(keys.web, cart.id, 'MUG-1', 2)
    expect(shipped.fulfillment).toEqual({ method: 'ship', location: null })
    expect(shipped.lines).toEqual([
      expect.objectContaining({ sku: 'TEE-M', available: 50, isAvailable: true }),
      expect.objectContaining({ sku: 'MUG-1', available: 1, isAvailable: false }),
    ])
    const pickup = await ok(call(keys.web, 'PUT', `/v1/carts/${cart.id}/fulfillment`, { method: 'pickup', location: 'ath-1' }))
    expect(pickup.fulfillment).toEqual({ method: 'pickup', location: 'ath-1' })
    expect(pickup.lines).toEqual([
      expect.objectContaining({ sku: 'TEE-M', available: 2, isAvailable: false }),
      expect.objectContaining({ sku: 'MUG-1', available: 0, isAvailable: false }),
    ])
    const noDesk = await call(keys.web, 'PUT', `/v1/carts/${cart.id}/fulfillment`, { method: 'curbside', location: 'hq' })
    expect(noDesk.statusCode).toBe(400)
    expect(noDesk.json().errors).toEqual([{ path: 'location', message: 'hq does not offer pickup' }])
    const back = await ok(call(keys.web, 'PUT', `/v1/carts/${cart.id}/fulfillment`, { method: 'courier' }))
    expect(back.fulfillment).toEqual({ method: 'courier', location: null })
    expect(back.lines[0].available).toBe(50)
  })

  it('changes and removes lines, 0 removing', async () => {
    const cart = await startAnonymous(keys.web, 'anon-1')
    await add(keys.web, cart.id, 'TEE-M', 3)
    await add(keys.web, cart.id, 'MUG-1', 1)
    const changed = await ok(call(keys.web, 'PATCH', `/v1/carts/${cart.id}/lines/TEE-M`, { quantity: 1 }))
    expect(changed.total).toEqual(eur(2000))
    const zero = await ok(call(keys.web, 'PATCH', `/v1/carts/${cart.id}/lines/MUG-1`, { quantity: 0 }))
    expect(zero.lines.map((l: { sku: string }) => l.sku)).toEqual(['TEE-M'])
    const removed = await ok(call(keys.web, 'DELETE', `/v1/carts/${cart.id}/lines/TEE-M`))
    expect(removed).toMatchObject({ lines: [], total: eur(0) })
    const gone = await call(keys.web, 'DELETE', `/v1/carts/${cart.id}/lines/TEE-M`)
    expect(gone.statusCode).toBe(404)
  })

  it('announces an idle cart as abandoned once, and again only after a later change goes idle', async () => {
    const cart = await startAnonymous(keys.web, 'anon-1')
    await add(keys.web, cart.id, 'TEE-M', 1)
    await startAnonymous(keys.web, 'anon-empty')
    t.clock.advance(59 * 60_000)
    expect(await abandonIdleCarts(t.db, t.clock, 60)).toBe(0)
    t.clock.advance(60_000)
    // Two processes sweeping at once announce the cart once between them.
    const sweeps = await Promise.all([abandonIdleCarts(t.db, t.clock, 60), abandonIdleCarts(t.db, t.clock, 60)])
    expect(sweeps[0] + sweeps[1]).toBe(1)
    expect(await abandonIdleCarts(t.db, t.clock, 60)).toBe(0)
    t.clock.advance(24 * 60 * 60_000)
    expect(await abandonIdleCarts(t.db, t.clock, 60)).toBe(0)
    expect((await ok(call(keys.web, 'GET', `/v1/carts/${cart.id}`))).status).toBe('abandoned')

    const revived = await add(keys.web, cart.id, 'TEE-M', 1)
    expect(revived.status).toBe('active')
    t.clock.advance(60 * 60_000)
    expect(await abandonIdleCarts(t.db, t.clock, 60)).toBe(1)
    const abandoned = (await cartEventsOf(t.db)).filter((e) => e.name === 'cart.abandoned')
    expect(abandoned).toHaveLength(2)
    expect(abandoned[0]).toMatchObject({ channel: 'web', payload: { cartId: cart.id, anonymousId: 'anon-1' } })
  })

  it('sums 20 concurrent additions of one SKU from two touchpoints exactly', async () => {
    const cart = await startAnonymous(keys.web, 'anon-1')
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(i % 2 ? keys.app : keys.web, 'POST', `/v1/carts/${cart.id}/lines`, { sku: 'TEE-M', quantity: 1 + (i % 3) })),
    )
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200))
    const expected = Array.from({ length: 20 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0)
    const final = await ok(call(keys.pos, 'GET', `/v1/carts/${cart.id}`))
    expect(final.lines).toEqual([expect.objectContaining({ sku: 'TEE-M', quantity: expected })])
    expect((await cartEventsOf(t.db)).filter((e) => e.payload.change === 'line_added')).toHaveLength(20)
  })

  it('ends with one cart holding every unit when carts identify as one person while another is started', async () => {
    const customer = await ok(call(keys.app, 'POST', '/v1/customers', { identities: [{ kind: 'email', value: 'eli@example.com' }] }), 201)
    const visitors = []
    for (let i = 1; i <= 4; i++) {
      const cart = await startAnonymous(keys.web, `anon-device-${i}`)
      await add(keys.web, cart.id, 'TEE-M', i)
      visitors.push(cart.id as string)
    }
    const results = await Promise.all([
      ...visitors.map((id) => call(keys.web, 'POST', `/v1/carts/${id}/identify`, { identities: [{ kind: 'email', value: 'eli@example.com' }] })),
      call(keys.app, 'POST', '/v1/carts', { customerId: customer.id }),
      call(keys.pos, 'POST', '/v1/carts', { customerId: customer.id }),
    ])
    expect(results.map((r) => r.statusCode).every((s) => s === 200 || s === 201), results.map((r) => r.body).join('\n')).toBe(true)
    const theirs = await ok(call(keys.pos, 'GET', `/v1/customers/${customer.id}/cart`))
    expect(theirs.lines).toEqual([expect.objectContaining({ sku: 'TEE-M', quantity: 10 })])
    for (const id of visitors.filter((v) => v !== theirs.id)) {
      expect(await ok(call(keys.web, 'GET', `/v1/carts/${id}`))).toMatchObject({ status: 'merged', mergedInto: theirs.id })
    }
  })
})
