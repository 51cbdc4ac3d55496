import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { adminKey } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { createLocations, receive } from '../inventory/testing.js'
import { orderFollower } from '../orders/index.js'
import { placeOrder, seedShop, type ShopKeys } from '../orders/testing.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { expirePickups } from './index.js'
import { fulfillmentEvents, stockAt, transition } from './testing.js'

const shipTo = { line1: 'Ermou 1', city: 'Athens', country: 'GR' }
const hour = 3_600_000

describe.each(engines)('fulfilment on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: ShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 4 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    keys = await seedShop(s.t)
  })

  async function placed(key: string, body: object) {
    const res = await placeOrder(s.t, key, {
      customer: { email: 'ana@example.com', name: 'Ana' },
      ...body,
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  const collectAtAthens = {
    lines: [{ sku: 'TEE-M', quantity: 1 }],
    fulfillment: { method: 'pickup', location: 'ath-1' },
    payment: { method: 'card', card: card(cards.visa) },
  }
  async function moved(id: string, body: object, key = keys.clerk) {
    const res = await transition(s.t, id, body, key)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const order = async (id: string) => (await s.t.call('GET', `/v1/orders/${id}`)).json()
  const payment = async (id: string) => (await s.t.call('GET', `/v1/payments/${id}`)).json()

  it('buys online, picks up in store: stock sold and card charged at the counter', async () => {
    const placedOrder = await placed(keys.web, collectAtAthens)
    expect(placedOrder.fulfillments).toMatchObject([
      {
        location: 'ath-1',
        method: 'pickup',
        status: 'allocated',
        lines: [{ sku: 'TEE-M', quantity: 1 }],
      },
    ])
    const pickList = '/v1/fulfillments?location=ath-1&status=allocated'
    const list = await s.t.call('GET', pickList, undefined, { key: keys.clerk })
    expect(list.json().data.map((f: { orderId: string }) => f.orderId)).toEqual([placedOrder.id])
    const id = placedOrder.fulfillments[0].id

    expect(await moved(id, { to: 'ready_for_pickup' })).toMatchObject({
      status: 'ready_for_pickup',
      readyAt: s.t.clock.now().toISOString(),
    })
    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 2, reserved: 1 })
    expect(await moved(id, { to: 'picked_up' })).toMatchObject({ status: 'picked_up' })

    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 1, reserved: 0 })
    expect((await payment(placedOrder.payment.id)).status).toBe('captured')
    const after = await order(placedOrder.id)
    expect(after.status).toBe('delivered')
    expect(after.fulfillments).toMatchObject([{ id, status: 'picked_up' }])
    expect(after.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'placed',
      'payment_authorized',
      'fulfillment_ready_for_pickup',
      'fulfillment_picked_up',
    ])
    expect(await fulfillmentEvents(s.t.db)).toEqual([
      { name: 'fulfillment.ready_for_pickup', profileId: placedOrder.customerId, channel: 'web' },
      { name: 'fulfillment.picked_up', profileId: placedOrder.customerId, channel: 'web' },
    ])
  })

  it('expires a collection left past the hold: stock back, card voided', async () => {
    const placedOrder = await placed(keys.web, collectAtAthens)
    const id = placedOrder.fulfillments[0].id
    await moved(id, { to: 'ready_for_pickup' })

    s.t.clock.advance(71 * hour)
    expect(await expirePickups(s.t.db, s.t.clock, s.provider, orderFollower, 72)).toBe(0)
    s.t.clock.advance(2 * hour)
    expect(await expirePickups(s.t.db, s.t.clock, s.provider, orderFollower, 72)).toBe(1)

    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 2, reserved: 0 })
    expect((await payment(placedOrder.payment.id)).status).toBe('voided')
    const after = await order(placedOrder.id)
    expect(after).toMatchObject({ status: 'cancelled', fulfillments: [{ status: 'expired' }] })
    expect(after.timeline.at(-1)).toMatchObject({
      kind: 'fulfillment_expired',
      status: 'cancelled',
    })
    expect((await fulfillmentEvents(s.t.db)).map((e) => e.name)).toEqual([
      'fulfillment.ready_for_pickup',
      'fulfillment.expired',
    ])
    // Too late to hand it over now.
    const late = await transition(s.t, id, { to: 'picked_up' }, keys.clerk)
    expect(late.statusCode).toBe(409)
    expect(late.json()).toMatchObject({ from: 'expired', to: 'picked_up', allowed: [] })
  })

  it('ships with a carrier and tracking number, and takes the cash on delivery', async () => {
    const placedOrder = await placed(keys.web, {
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'ship', address: shipTo },
      payment: { method: 'cash_on_delivery' },
    })
    const id = placedOrder.fulfillments[0].id
    // The store's clerk may not touch the warehouse's parcel; the warehouse's may.
    const elsewhere = await transition(s.t, id, { to: 'picking' }, keys.clerk)
    expect(elsewhere.statusCode, elsewhere.body).toBe(403)
    expect(elsewhere.json().detail).toBe(`Fulfillment ${id} is at wh-1; a key of ath-1 acts only at ath-1`)
    await moved(id, { to: 'picking' }, keys.picker)
    await moved(id, { to: 'packed' }, keys.picker)
    const parcel = { carrier: 'ELTA', trackingNumber: 'EL123456789GR' }
    expect(await moved(id, { to: 'shipped', ...parcel }, keys.picker)).toMatchObject({
      status: 'shipped',
      ...parcel,
    })
    expect(await stockAt(s.t.db, 'TEE-M', 'wh-1')).toEqual({ onHand: 48, reserved: 0 })
    expect((await order(placedOrder.id)).status).toBe('shipped')
    expect((await payment(placedOrder.payment.id)).status).toBe('pending')

    await moved(id, { to: 'delivered' }, keys.picker)
    expect((await payment(placedOrder.payment.id)).status).toBe('captured')
    const after = await order(placedOrder.id)
    expect(after.status).toBe('delivered')
    expect(after.timeline.find((e: { kind: string }) => e.kind === 'fulfillment_shipped').detail)
      .toMatchObject({ carrier: 'ELTA', trackingNumber: 'EL123456789GR' })
    expect((await fulfillmentEvents(s.t.db)).map((e) => e.name)).toEqual([
      'fulfillment.picking',
      'fulfillment.packed',
      'fulfillment.shipped',
      'fulfillment.delivered',
    ])
  })

  it('splits an order over two warehouses, restocking the parcel cancelled', async () => {
    await createLocations(s.t, { code: 'wh-2', shipFrom: true })
    await receive(s.t, 'MUG-1', 'wh-2', 3)
    const placedOrder = await placed(keys.web, {
      lines: [{ sku: 'MUG-1', quantity: 4 }],
      fulfillment: { method: 'ship', address: shipTo },
      payment: { method: 'card', card: card(cards.visa) },
    })
    expect(placedOrder.fulfillments).toMatchObject([
      { location: 'wh-1', lines: [{ sku: 'MUG-1', quantity: 1 }] },
      { location: 'wh-2', lines: [{ sku: 'MUG-1', quantity: 3 }] },
    ])
    const [first, second] = placedOrder.fulfillments
    await moved(second.id, { to: 'picking' }, adminKey)
    await moved(second.id, { to: 'packed' }, adminKey)
    await moved(second.id, { to: 'shipped', carrier: 'ACS', trackingNumber: '7001' }, adminKey)
    expect(await stockAt(s.t.db, 'MUG-1', 'wh-2')).toEqual({ onHand: 0, reserved: 0 })
    expect((await order(placedOrder.id)).status).toBe('shipped')
    expect((await payment(placedOrder.payment.id)).status).toBe('captured')

    // The last mug is not shipped after all: it goes back on sale at its warehouse.
    await moved(first.id, { to: 'cancelled' }, keys.picker)
    expect(await stockAt(s.t.db, 'MUG-1', 'wh-1')).toEqual({ onHand: 1, reserved: 0 })
    await moved(second.id, { to: 'delivered' }, adminKey)
    expect((await order(placedOrder.id)).status).toBe('delivered')
  })

  it('refuses illegal moves with 409 naming the allowed targets, changing nothing', async () => {
    const shipping = await placed(keys.web, {
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'ship', address: shipTo },
      payment: { method: 'cash_on_delivery' },
    })
    const collection = await placed(keys.web, collectAtAthens)
    const parcel = shipping.fulfillments[0].id
    const counter = collection.fulfillments[0].id
    const cases: [string, object, string[], string][] = [
      [parcel, { to: 'shipped', carrier: 'ELTA', trackingNumber: '1' }, ['picking', 'cancelled'], keys.picker],
      [parcel, { to: 'ready_for_pickup' }, ['picking', 'cancelled'], keys.picker],
      [counter, { to: 'picking' }, ['ready_for_pickup', 'cancelled'], keys.clerk],
      [counter, { to: 'picked_up' }, ['ready_for_pickup', 'cancelled'], keys.clerk],
    ]
    for (const [id, body, allowed, key] of cases) {
      const res = await transition(s.t, id, body, key)
      expect(res.statusCode, res.body).toBe(409)
      expect(res.json()).toMatchObject({
        type: 'https://omnia.dev/problems/illegal-transition',
        from: 'allocated',
        allowed,
      })
    }
    expect(await fulfillmentEvents(s.t.db)).toEqual([])
    expect((await order(shipping.id)).fulfillments[0].status).toBe('allocated')
  })

  it('lets exactly one of a hand-over and a cancellation racing for a collection win', async () => {
    const placedOrder = await placed(keys.web, collectAtAthens)
    const id = placedOrder.fulfillments[0].id
    await moved(id, { to: 'ready_for_pickup' })
    const results = await Promise.all([
      transition(s.t, id, { to: 'picked_up' }, keys.clerk),
      transition(s.t, id, { to: 'cancelled' }, keys.clerk),
    ])
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409])
    const sold = results.find((r) => r.statusCode === 200)!.json().status === 'picked_up'
    const stock = await stockAt(s.t.db, 'TEE-M', 'ath-1')
    expect(stock).toEqual({ onHand: sold ? 1 : 2, reserved: 0 })
    expect((await order(placedOrder.id)).status).toBe(sold ? 'delivered' : 'cancelled')
  })

  it('cancels the parcels of a cancelled order', async () => {
    const placedOrder = await placed(keys.web, {
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'ship', address: shipTo },
      payment: { method: 'cash_on_delivery' },
    })
    await moved(placedOrder.fulfillments[0].id, { to: 'picking' }, keys.picker)
    const res = await s.t.call('POST', `/v1/orders/${placedOrder.id}/cancel`, {})
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().fulfillments).toMatchObject([{ status: 'cancelled' }])
    const late = await transition(s.t, placedOrder.fulfillments[0].id, { to: 'packed' }, keys.picker)
    expect(late.json()).toMatchObject({ from: 'cancelled', allowed: [] })
  })
})
