import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { snapshotTables } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'
import { stockAt, transition } from '../fulfillment/testing.js'
import { outboxEvents, reconcile } from '../inventory/testing.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { ledgerAt, placeOrder, places, seedGeoShop, type GeoShopKeys } from './testing.js'

const athens = { line1: 'Ermou 1', city: 'Athens', country: 'GR', geo: places.athens }
const cash = { method: 'cash_on_delivery' }
const tables = [
  'orders.order',
  'orders.order_line',
  'orders.order_event',
  'fulfillment.fulfillment',
  'fulfillment.fulfillment_line',
  'inventory.stock_level',
  'inventory.ledger_entry',
  'inventory.reservation_line',
  'kernel.outbox',
]

describe.each(engines)('re-sourcing missing items on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: GeoShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 4 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    keys = await seedGeoShop(s.t)
  })

  async function placed(body: object) {
    const res = await placeOrder(s.t, keys.web, {
      customer: { email: 'ana@example.com' },
      payment: cash,
      ...body,
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  const missing = (id: string, body: object, key = keys.clerkAthens) =>
    s.t.call('POST', `/v1/fulfillments/${id}/missing`, body, { key })

  async function expectReconciled() {
    for (const l of await reconcile(s.t.db)) {
      expect(Number(l.ledger), `${l.sku}@${l.location}`).toBe(l.onHand)
      expect(Number(l.held), `${l.sku}@${l.location}`).toBe(l.reserved)
      expect(l.onHand - l.reserved).toBeGreaterThanOrEqual(0)
    }
  }

  it('writes off what a store cannot find and moves the reservation, keeping the order', async () => {
    const order = await placed({
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'ship', address: athens },
    })
    const ath = order.fulfillments[0]
    expect(ath.location).toBe('st-ath')
    const res = await missing(ath.id, {
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      note: 'not on the shelf',
    })
    expect(res.statusCode, res.body).toBe(200)
    const after = res.json()
    expect(after).toMatchObject({
      id: order.id,
      number: order.number,
      status: 'confirmed',
      lines: [
        { sku: 'TEE-M', quantity: 1, location: 'st-ath' },
        { sku: 'TEE-M', quantity: 1, location: 'st-pir' },
      ],
      fulfillments: [
        {
          id: ath.id,
          location: 'st-ath',
          status: 'allocated',
          lines: [{ sku: 'TEE-M', quantity: 1 }],
        },
        {
          location: 'st-pir',
          status: 'allocated',
          method: 'ship',
          lines: [{ sku: 'TEE-M', quantity: 1 }],
        },
      ],
    })
    expect(after.sourcing).toMatchObject({
      rule: 'nearest_whole',
      reason: expect.stringContaining('re-sourced (missing at st-ath: not on the shelf)'),
      shipments: [
        { location: 'st-ath', lines: [{ sku: 'TEE-M', quantity: 1 }] },
        {
          location: 'st-pir',
          distanceKm: expect.any(Number),
          lines: [{ sku: 'TEE-M', quantity: 1 }],
        },
      ],
    })
    expect(after.timeline.at(-1)).toMatchObject({
      kind: 'resourced',
      detail: {
        from: 'st-ath',
        rule: 'nearest_whole',
        reason: 'missing at st-ath: not on the shelf',
      },
    })
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 2, reserved: 1 })
    expect(await stockAt(s.t.db, 'TEE-M', 'st-pir')).toEqual({ onHand: 5, reserved: 1 })
    expect((await ledgerAt(s.t.db, 'TEE-M', 'st-ath')).at(-1)).toMatchObject({
      kind: 'adjustment',
      quantity: -1,
    })
    expect((await outboxEvents(s.t.db, 'fulfillment.')).map((e) => e.name)).toEqual([
      'fulfillment.resourced',
    ])
    await expectReconciled()

    // The rest goes missing too: it joins the parcel already at Piraeus, Athens has nothing left.
    const rest = await missing(ath.id, { lines: [{ sku: 'TEE-M', quantity: 1 }] })
    expect(rest.statusCode, rest.body).toBe(200)
    const pir = rest.json().fulfillments.find((f: { location: string }) => f.location === 'st-pir')
    expect(rest.json()).toMatchObject({
      lines: [{ sku: 'TEE-M', quantity: 2, location: 'st-pir' }],
      fulfillments: [
        { id: ath.id, status: 'cancelled', lines: [] },
        { id: pir.id, status: 'allocated', lines: [{ sku: 'TEE-M', quantity: 2 }] },
      ],
    })
    for (const to of ['picking', 'packed'])
      expect((await transition(s.t, pir.id, { to })).statusCode).toBe(200)
    const shipped = await transition(s.t, pir.id, {
      to: 'shipped',
      carrier: 'ACS',
      trackingNumber: 'A1',
    })
    expect(shipped.statusCode, shipped.body).toBe(200)
    expect(await stockAt(s.t.db, 'TEE-M', 'st-pir')).toEqual({ onHand: 3, reserved: 0 })
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 1, reserved: 0 })
    await expectReconciled()
  })

  it('refuses with the shortages and writes nothing when nowhere else has the units', async () => {
    const order = await placed({
      lines: [{ sku: 'MUG-1', quantity: 2 }],
      fulfillment: { method: 'ship', address: athens },
    })
    const pir = order.fulfillments[0]
    expect(pir.location).toBe('st-pir')
    const clerkPiraeus = await s.t.staffKey('clerk', 'st-pir')
    const before = await snapshotTables(s.t, tables)
    const res = await missing(pir.id, { lines: [{ sku: 'MUG-1', quantity: 2 }] }, clerkPiraeus)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      type: 'https://omnia.dev/problems/insufficient-stock',
      shortages: [
        {
          sku: 'MUG-1',
          requested: 2,
          available: 1,
          availableElsewhere: [{ location: 'wh-thes', available: 1 }],
        },
      ],
    })
    const elsewhere = await missing(
      pir.id,
      { lines: [{ sku: 'MUG-1', quantity: 1 }] },
      keys.clerkAthens,
    )
    expect(elsewhere.statusCode).toBe(403)
    expect(await snapshotTables(s.t, tables)).toBe(before)
    const one = await missing(pir.id, { lines: [{ sku: 'MUG-1', quantity: 1 }] }, clerkPiraeus)
    expect(one.statusCode, one.body).toBe(200)
    expect(one.json().fulfillments.map((f: { location: string }) => f.location)).toEqual([
      'st-pir',
      'wh-thes',
    ])
    await expectReconciled()
  })

  it('makes up a collection by transfer; it waits for it, then is collected and charged once', async () => {
    const order = await placed({
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'pickup', location: 'st-ath' },
      payment: { method: 'card', card: card(cards.visa) },
    })
    const ath = order.fulfillments[0]
    const res = await missing(ath.id, { lines: [{ sku: 'TEE-M', quantity: 1 }], note: 'torn' })
    expect(res.statusCode, res.body).toBe(200)
    const after = res.json()
    // The customer still collects both at Athens; the nearest shipper sends one there.
    expect(after.lines).toEqual([
      expect.objectContaining({ sku: 'TEE-M', quantity: 2, location: 'st-ath' }),
    ])
    expect(after.fulfillments).toEqual([
      expect.objectContaining({
        id: ath.id,
        location: 'st-ath',
        method: 'pickup',
        status: 'allocated',
        lines: [{ sku: 'TEE-M', quantity: 2 }],
        inbound: [
          {
            transferId: expect.stringMatching(/^trf_/),
            from: 'st-pir',
            sku: 'TEE-M',
            quantity: 1,
            status: 'in_transit',
          },
        ],
      }),
    ])
    const transferId = after.fulfillments[0].inbound[0].transferId
    expect(after.sourcing.reason).toMatch(
      /re-sourced \(missing at st-ath: torn\): st-pir is the nearest .*, sent to st-ath by transfer$/,
    )
    expect(after.timeline.at(-1)).toMatchObject({
      kind: 'resourced',
      detail: {
        from: 'st-ath',
        to: [],
        transfers: [{ transferId, from: 'st-pir', sku: 'TEE-M', quantity: 1 }],
      },
    })
    const [event] = await outboxEvents(s.t.db, 'fulfillment.')
    expect(event).toMatchObject({
      name: 'fulfillment.resourced',
      payload: { fulfillmentId: ath.id, to: [], transfers: [{ transferId, from: 'st-pir' }] },
    })
    // Written off at Athens, on its way from Piraeus, held for nobody in between.
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 2, reserved: 1 })
    expect(await stockAt(s.t.db, 'TEE-M', 'st-pir')).toEqual({ onHand: 4, reserved: 0 })
    expect((await ledgerAt(s.t.db, 'TEE-M', 'st-pir')).at(-1)).toMatchObject({
      kind: 'transfer_out',
      quantity: -1,
    })
    await expectReconciled()
    const toSend = await s.t.call(
      'GET',
      '/v1/inventory/transfers?location=st-pir&direction=out&status=in_transit',
    )
    expect(toSend.json().data).toEqual([
      expect.objectContaining({ id: transferId, to: 'st-ath', reservationId: expect.any(String) }),
    ])

    const early = await transition(s.t, ath.id, { to: 'ready_for_pickup' }, keys.clerkAthens)
    expect(early.statusCode).toBe(409)
    expect(early.json()).toMatchObject({
      type: 'https://omnia.dev/problems/awaiting-transfer',
      transfers: [{ id: transferId, from: 'st-pir', sku: 'TEE-M', quantity: 1 }],
    })

    const received = await s.t.call(
      'POST',
      `/v1/inventory/transfers/${transferId}/receive`,
      undefined,
      { key: keys.clerkAthens },
    )
    expect(received.statusCode, received.body).toBe(200)
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 3, reserved: 2 })
    await expectReconciled()
    for (const to of ['ready_for_pickup', 'picked_up']) {
      const moved = await transition(s.t, ath.id, { to }, keys.clerkAthens)
      expect(moved.statusCode, moved.body).toBe(200)
    }
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 1, reserved: 0 })
    expect(await stockAt(s.t.db, 'TEE-M', 'st-pir')).toEqual({ onHand: 4, reserved: 0 })
    await expectReconciled()
    const paid = (await s.t.call('GET', `/v1/payments/${order.payment.id}`)).json()
    expect(paid.status).toBe('captured')
    expect(paid.history.filter((h: { kind: string }) => h.kind === 'captured')).toEqual([
      expect.objectContaining({ amount: order.totals.total }),
    ])
    const final = (await s.t.call('GET', `/v1/orders/${order.id}`)).json()
    expect(final.status).toBe('delivered')
    expect(final.fulfillments[0].inbound).toMatchObject([{ transferId, status: 'received' }])
  })

  it('leaves units sent for a collection on sale when its order is cancelled', async () => {
    const order = await placed({
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'pickup', location: 'st-ath' },
    })
    const ath = order.fulfillments[0]
    const res = await missing(ath.id, { lines: [{ sku: 'TEE-M', quantity: 1 }] })
    expect(res.statusCode, res.body).toBe(200)
    const transferId = res.json().fulfillments[0].inbound[0].transferId
    const cancel = `/v1/orders/${order.id}/cancel`
    const cancelled = await s.t.call('POST', cancel, {}, { key: keys.manager })
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    const received = await s.t.call('POST', `/v1/inventory/transfers/${transferId}/receive`)
    expect(received.statusCode, received.body).toBe(200)
    expect(await stockAt(s.t.db, 'TEE-M', 'st-ath')).toEqual({ onHand: 3, reserved: 0 })
    await expectReconciled()
  })

  it('refuses a collection nowhere else can make up, writing nothing', async () => {
    const clerkPiraeus = await s.t.staffKey('clerk', 'st-pir')
    const order = await placed({
      lines: [{ sku: 'MUG-1', quantity: 2 }],
      fulfillment: { method: 'pickup', location: 'st-pir' },
    })
    const pir = order.fulfillments[0]
    const before = await snapshotTables(s.t, [...tables, 'inventory.transfer'])
    const res = await missing(pir.id, { lines: [{ sku: 'MUG-1', quantity: 2 }] }, clerkPiraeus)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      type: 'https://omnia.dev/problems/insufficient-stock',
      shortages: [{ sku: 'MUG-1', requested: 2, availableElsewhere: [{ location: 'wh-thes' }] }],
    })
    expect(await snapshotTables(s.t, [...tables, 'inventory.transfer'])).toBe(before)
    const one = await missing(pir.id, { lines: [{ sku: 'MUG-1', quantity: 1 }] }, clerkPiraeus)
    expect(one.statusCode, one.body).toBe(200)
    expect(one.json().fulfillments[0].inbound).toMatchObject([
      { from: 'wh-thes', sku: 'MUG-1', quantity: 1, status: 'in_transit' },
    ])
    await expectReconciled()
  })

  it('moves nothing for a packed parcel, or units the parcel does not hold', async () => {
    const shipped = await placed({
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'ship', address: athens },
    })
    const parcel = shipped.fulfillments[0]
    const before = await snapshotTables(s.t, tables)
    const tooMany = await missing(parcel.id, { lines: [{ sku: 'TEE-M', quantity: 3 }] })
    expect(tooMany.statusCode).toBe(400)
    expect(tooMany.json().errors).toEqual([
      { path: 'lines.0.quantity', message: expect.any(String) },
    ])
    const other = await missing(parcel.id, { lines: [{ sku: 'MUG-1', quantity: 1 }] })
    expect(other.json().errors).toEqual([
      { path: 'lines.0.sku', message: 'MUG-1 is not in this fulfilment' },
    ])
    expect((await missing('ful_nope', { lines: [{ sku: 'TEE-M', quantity: 1 }] })).statusCode).toBe(
      404,
    )
    expect(await snapshotTables(s.t, tables)).toBe(before)
    for (const to of ['picking', 'packed']) await transition(s.t, parcel.id, { to })
    const packed = await missing(parcel.id, { lines: [{ sku: 'TEE-M', quantity: 1 }] })
    expect(packed.statusCode).toBe(409)
    expect(packed.json()).toMatchObject({
      type: 'https://omnia.dev/problems/illegal-transition',
      from: 'packed',
    })
  })
})
