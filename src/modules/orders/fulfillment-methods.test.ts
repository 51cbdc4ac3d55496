import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../../../test/support/engines.js'
import { stockAt, transition } from '../fulfillment/testing.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { orderCounts, placeOrder, places, seedGeoShop, type GeoShopKeys } from './testing.js'

const athens = { line1: 'Ermou 1', city: 'Athens', country: 'GR', geo: places.athens }
const heraklion = {
  line1: '25is Avgoustou 1',
  city: 'Heraklion',
  country: 'GR',
  geo: places.heraklion,
}
const visa = { method: 'card', card: card(cards.visa) }
const cash = { method: 'cash_on_delivery' }

describe.each(engines)('fulfilment methods and sourcing on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: GeoShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 6 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    keys = await seedGeoShop(s.t)
  })

  async function placed(key: string, body: object) {
    const res = await placeOrder(s.t, key, { customer: { email: 'ana@example.com' }, ...body })
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  async function moved(id: string, body: object, key = keys.clerkAthens) {
    const res = await transition(s.t, id, body, key)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const order = async (id: string) => (await s.t.call('GET', `/v1/orders/${id}`)).json()
  const payment = async (id: string) => (await s.t.call('GET', `/v1/payments/${id}`)).json()
  const setPolicy = (body: object, key?: string) =>
    s.t.call(
      'PUT',
      '/v1/sourcing-policy',
      {
        rules: ['nearest_whole', 'fewest_shipments'],
        allowSplit: true,
        maxShipments: 3,
        courierRadiusKm: 30,
        endlessAisleOwnStock: 'exclude',
        ...body,
      },
      key ? { key } : {},
    )

  it('ships from the store nearest the address, and charges the card when it leaves', async () => {
    const o = await placed(keys.web, {
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'ship', address: athens },
      payment: visa,
    })
    expect(o).toMatchObject({
      status: 'confirmed',
      lines: [{ sku: 'TEE-M', quantity: 2, location: 'st-ath' }],
      fulfillment: { method: 'ship', address: athens, vehicle: null },
      sourcing: {
        rule: 'nearest_whole',
        shipments: [
          {
            location: 'st-ath',
            distanceKm: expect.any(Number),
            lines: [{ sku: 'TEE-M', quantity: 2 }],
          },
        ],
      },
      fulfillments: [{ location: 'st-ath', method: 'ship', status: 'allocated' }],
    })
    expect(o.sourcing.shipments[0].distanceKm).toBeLessThan(2)
    expect(o.sourcing.reason).toMatch(
      /^st-ath is the nearest location that can ship the whole order/,
    )
    const id = o.fulfillments[0].id
    await moved(id, { to: 'picking' })
    await moved(id, { to: 'packed' })
    expect((await payment(o.payment.id)).status).toBe('authorized')
    const shipped = await moved(id, { to: 'shipped', carrier: 'ELTA', trackingNumber: 'EL123GR' })
    expect(shipped).toMatchObject({ status: 'shipped', carrier: 'ELTA', trackingNumber: 'EL123GR' })
    expect((await payment(o.payment.id)).status).toBe('captured')
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 1, reserved: 0 })
    await moved(id, { to: 'delivered' })
    expect((await order(o.id)).status).toBe('delivered')
  })

  it('passes over the nearest store when its safety stock leaves too little', async () => {
    const kept = await s.t.call('PUT', '/v1/inventory/TEE-M/locations/st-ath', { safetyStock: 2 })
    expect(kept.statusCode, kept.body).toBe(200)
    const o = await placed(keys.web, {
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'ship', address: athens },
      payment: cash,
    })
    expect(o).toMatchObject({ lines: [{ location: 'st-pir' }], sourcing: { rule: 'nearest_whole' } })
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 3, reserved: 0 })
  })

  it('splits an order no single location can serve into two parcels that move on their own', async () => {
    const o = await placed(keys.web, {
      lines: [
        { sku: 'TEE-M', quantity: 2 },
        { sku: 'MUG-1', quantity: 3 },
      ],
      fulfillment: { method: 'ship', address: athens },
      payment: cash,
    })
    expect(o.sourcing).toMatchObject({
      rule: 'fewest_shipments',
      shipments: [
        {
          location: 'st-pir',
          lines: [
            { sku: 'MUG-1', quantity: 2 },
            { sku: 'TEE-M', quantity: 2 },
          ],
        },
        { location: 'wh-thes', lines: [{ sku: 'MUG-1', quantity: 1 }] },
      ],
    })
    expect(o.sourcing.reason).toMatch(/2 shipments \(st-pir, wh-thes\)/)
    const [pir, thes] = o.fulfillments
    expect([pir.location, thes.location]).toEqual(['st-pir', 'wh-thes'])
    for (const step of ['picking', 'packed']) await moved(thes.id, { to: step }, keys.manager)
    await moved(thes.id, { to: 'shipped', carrier: 'ACS', trackingNumber: 'ACS1' }, keys.manager)
    expect(await order(o.id)).toMatchObject({
      status: 'shipped',
      fulfillments: [{ status: 'allocated' }, { status: 'shipped' }],
    })
    await moved(thes.id, { to: 'delivered' }, keys.manager)
    expect((await order(o.id)).status).toBe('shipped')
    for (const step of ['picking', 'packed']) await moved(pir.id, { to: step }, keys.manager)
    await moved(pir.id, { to: 'shipped', carrier: 'ACS', trackingNumber: 'ACS2' }, keys.manager)
    await moved(pir.id, { to: 'delivered' }, keys.manager)
    expect((await order(o.id)).status).toBe('delivered')
    expect((await payment(o.payment.id)).status).toBe('captured')
  })

  it('sells at a store counter what comes from elsewhere (endless aisle), or its own stock when preferred', async () => {
    const viaPos = await placed(keys.posPatras, {
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: {
        method: 'ship',
        address: { line1: 'Maizonos 1', city: 'Patras', country: 'GR' },
      },
      payment: { method: 'in_store' },
    })
    // No coordinates given: distances are from the store, whose own stock is left alone.
    expect(viaPos).toMatchObject({
      channel: 'pos-pat',
      store: 'st-pat',
      staff: null,
      lines: [{ location: 'st-pir' }],
      fulfillments: [{ location: 'st-pir', method: 'ship' }],
      sourcing: { rule: 'nearest_whole' },
    })
    expect(await stockAt(s.t.db, 'TEE-M', 'st-pat')).toEqual({ onHand: 4, reserved: 0 })
    const byClerk = await placed(keys.clerkPatras, {
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'ship', address: athens },
      payment: { method: 'in_store' },
    })
    expect(byClerk).toMatchObject({
      store: 'st-pat',
      staff: expect.stringMatching(/^key_/),
      lines: [{ location: 'st-ath' }],
    })

    expect((await setPolicy({ endlessAisleOwnStock: 'prefer' })).statusCode).toBe(200)
    const own = await placed(keys.posPatras, {
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'ship', address: athens },
      payment: { method: 'in_store' },
    })
    expect(own).toMatchObject({ lines: [{ location: 'st-pat' }], sourcing: { rule: 'own_store' } })
  })

  it('sends a courier only from nearby, and says which location is nearest when none is', async () => {
    const near = await placed(keys.web, {
      lines: [{ sku: 'MUG-1', quantity: 1 }],
      fulfillment: { method: 'courier', address: athens },
      payment: cash,
    })
    expect(near).toMatchObject({
      fulfillment: { method: 'courier' },
      lines: [{ location: 'st-pir' }],
      fulfillments: [{ method: 'courier', location: 'st-pir' }],
    })
    const before = await orderCounts(s.t.db)
    const far = await placeOrder(s.t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'courier', address: heraklion },
      payment: cash,
    })
    expect(far.statusCode).toBe(422)
    expect(far.json()).toMatchObject({
      type: 'https://omnia.dev/problems/courier-out-of-range',
      radiusKm: 30,
      nearest: {
        location: expect.stringMatching(/^st-(ath|pir)$/),
        distanceKm: expect.any(Number),
      },
    })
    // In range, but the only nearby stock of MUG-1 is now one unit short.
    const short = await placeOrder(s.t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'MUG-1', quantity: 2 }],
      fulfillment: { method: 'courier', address: athens },
      payment: cash,
    })
    expect(short.statusCode).toBe(409)
    expect(short.json().shortages).toMatchObject([{ sku: 'MUG-1', requested: 2, available: 1 }])
    const blind = await placeOrder(s.t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'courier', address: { ...athens, geo: undefined } },
      payment: cash,
    })
    expect(blind.statusCode).toBe(400)
    expect(blind.json().errors).toEqual([
      { path: 'fulfillment.address.geo', message: expect.any(String) },
    ])
    expect(await orderCounts(s.t.db)).toEqual(before)
  })

  it('hands a curbside order over at the kerb with the car noted, and charges it then', async () => {
    const o = await placed(keys.web, {
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'curbside', location: 'st-ath', vehicle: 'blue Fiat Panda, IKA-1234' },
      payment: visa,
    })
    expect(o).toMatchObject({
      fulfillment: { method: 'curbside', location: 'st-ath', vehicle: 'blue Fiat Panda, IKA-1234' },
      sourcing: { rule: 'pickup_store', shipments: [{ location: 'st-ath' }] },
      fulfillments: [{ method: 'curbside', location: 'st-ath' }],
      totals: { shipping: 0 },
    })
    const id = o.fulfillments[0].id
    const refused = await transition(s.t, id, { to: 'picking' }, keys.clerkAthens)
    expect(refused.statusCode).toBe(409)
    await moved(id, { to: 'ready_for_pickup' })
    await moved(id, { to: 'picked_up' })
    expect((await order(o.id)).status).toBe('delivered')
    expect((await payment(o.payment.id)).status).toBe('captured')
    const nowhere = await placeOrder(s.t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'curbside', location: 'wh-thes' },
      payment: cash,
    })
    expect(nowhere.statusCode).toBe(400)
    expect(nowhere.json().errors).toEqual([
      { path: 'fulfillment.location', message: 'wh-thes does not offer pickup' },
    ])
  })

  it('keeps the sourcing policy under an admin scope, audited, and follows it', async () => {
    expect((await s.t.call('GET', '/v1/sourcing-policy')).json()).toEqual({
      rules: ['nearest_whole', 'fewest_shipments'],
      allowSplit: true,
      maxShipments: 3,
      courierRadiusKm: 30,
      endlessAisleOwnStock: 'exclude',
    })
    expect((await setPolicy({ allowSplit: false }, keys.clerkAthens)).statusCode).toBe(403)
    const put = await setPolicy({ allowSplit: false, courierRadiusKm: 5 }, keys.manager)
    expect(put.statusCode, put.body).toBe(200)
    expect((await s.t.call('GET', '/v1/sourcing-policy')).json()).toMatchObject({
      allowSplit: false,
      courierRadiusKm: 5,
    })
    const audit = (await s.t.call('GET', '/v1/audit?resource=sourcing_policy')).json()
    expect(audit.data.map((e: { action: string }) => e.action)).toContain('sourcing_policy.updated')
    const split = await placeOrder(s.t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [
        { sku: 'TEE-M', quantity: 2 },
        { sku: 'MUG-1', quantity: 3 },
      ],
      fulfillment: { method: 'ship', address: athens },
      payment: cash,
    })
    expect(split.statusCode).toBe(409)
    expect(split.json()).toMatchObject({
      type: 'https://omnia.dev/problems/insufficient-stock',
      shortages: [{ sku: 'MUG-1', requested: 3, available: 2 }],
    })
  })

  it('charges shipping by method and currency, free from a threshold, never for collection', async () => {
    const rates = {
      rates: [
        { method: 'ship', currency: 'EUR', amount: 450, freeFrom: 3000 },
        { method: 'courier', currency: 'EUR', amount: 900 },
      ],
    }
    expect(
      (await s.t.call('PUT', '/v1/shipping-rates', rates, { key: keys.clerkAthens })).statusCode,
    ).toBe(403)
    const put = await s.t.call('PUT', '/v1/shipping-rates', rates)
    expect(put.statusCode, put.body).toBe(200)
    expect(
      (await s.t.call('GET', '/v1/shipping-rates', undefined, { key: keys.web })).json(),
    ).toEqual({
      rates: [
        { method: 'courier', currency: 'EUR', amount: 900, freeFrom: null },
        { method: 'ship', currency: 'EUR', amount: 450, freeFrom: 3000 },
      ],
    })
    const line = (quantity: number) => [{ sku: 'TEE-M', quantity }]
    const ship = await placed(keys.web, {
      lines: line(1),
      fulfillment: { method: 'ship', address: athens },
      payment: visa,
    })
    expect(ship.totals).toEqual({
      subtotal: 1000,
      discount: 0,
      shipping: 450,
      total: 1450,
      currency: 'EUR',
    })
    expect((await payment(ship.payment.id)).amount).toEqual({ amount: 1450, currency: 'EUR' })
    const free = await placed(keys.web, {
      lines: line(3),
      fulfillment: { method: 'ship', address: athens },
      payment: cash,
    })
    expect(free.totals).toMatchObject({ subtotal: 3000, shipping: 0, total: 3000 })
    const courier = await placed(keys.web, {
      lines: line(1),
      fulfillment: { method: 'courier', address: athens },
      payment: cash,
    })
    expect(courier.totals).toMatchObject({ shipping: 900, total: 1900 })
    const pickup = await placed(keys.web, {
      lines: line(1),
      fulfillment: { method: 'pickup', location: 'st-pir' },
      payment: cash,
    })
    expect(pickup.totals).toMatchObject({ shipping: 0, total: 1000 })
  })

  it('closes the cart it ordered: the next cart is new, and the old one cannot be ordered twice', async () => {
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
      { sku: 'TEE-M', quantity: 1 },
      { key: keys.web },
    )
    await s.t.call(
      'PUT',
      `/v1/carts/${cart.id}/fulfillment`,
      { method: 'courier' },
      { key: keys.web },
    )
    const body = { cartId: cart.id, fulfillment: { address: athens }, payment: cash }
    const first = await placeOrder(s.t, keys.web, body, 'cart-order-1')
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json()).toMatchObject({
      cartId: cart.id,
      fulfillment: { method: 'courier', address: athens },
    })
    const closed = (
      await s.t.call('GET', `/v1/carts/${cart.id}`, undefined, { key: keys.web })
    ).json()
    expect(closed).toMatchObject({ status: 'ordered', orderId: first.json().id })
    const next = await s.t.call('GET', `/v1/customers/${customer.id}/cart`)
    expect(next.statusCode).toBe(200)
    expect(next.json()).toMatchObject({
      status: 'active',
      lines: [],
      customerId: customer.id,
      orderId: null,
    })
    expect(next.json().id).not.toBe(cart.id)
    const replay = await placeOrder(s.t, keys.web, body, 'cart-order-1')
    expect(replay.statusCode).toBe(201)
    expect(replay.body).toBe(first.body)
    const before = await orderCounts(s.t.db)
    const again = await placeOrder(s.t, keys.web, body, 'cart-order-2')
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({
      type: 'https://omnia.dev/problems/illegal-transition',
      from: 'ordered',
    })
    const { keys: _keys, ...unchanged } = before
    expect(await orderCounts(s.t.db)).toMatchObject(unchanged)
    const adding = await s.t.call(
      'POST',
      `/v1/carts/${cart.id}/lines`,
      { sku: 'TEE-M', quantity: 1 },
      { key: keys.web },
    )
    expect(adding.statusCode).toBe(409)
    const started = await s.t.call(
      'POST',
      '/v1/carts',
      { customerId: customer.id },
      { key: keys.web },
    )
    expect(started.statusCode).toBe(200)
    expect(started.json().id).toBe(next.json().id)
  })

  it('lets one of two concurrent orders of the same cart win', async () => {
    const customer = (
      await s.t.call(
        'POST',
        '/v1/customers',
        { identities: [{ kind: 'email', value: 'race@example.com' }] },
        { key: keys.web },
      )
    ).json()
    const cart = (
      await s.t.call('POST', '/v1/carts', { customerId: customer.id }, { key: keys.web })
    ).json()
    await s.t.call(
      'POST',
      `/v1/carts/${cart.id}/lines`,
      { sku: 'TEE-M', quantity: 1 },
      { key: keys.web },
    )
    const answers = await Promise.all(
      ['race-a', 'race-b', 'race-c'].map((k) =>
        placeOrder(s.t, keys.web, { cartId: cart.id, payment: cash }, k),
      ),
    )
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409])
    expect((await orderCounts(s.t.db)).orders).toBe(1)
  })
})
