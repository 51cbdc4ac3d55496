import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../../../test/support/engines.js'
import { placeOrder, seedShop, type ShopKeys } from '../orders/testing.js'
import { startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { createSegmentVia, members, ok, settle, traitsOf } from './testing.js'

const hour = 3_600_000

describe.each(engines)('traits from real orders on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: ShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine)
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    s.t.clock.set('2026-03-01T10:00:00Z')
    keys = await seedShop(s.t)
  })

  it('counts a POS sale and a web order, with totals, channels and store as the orders module reports them', async () => {
    const counter = await ok(placeOrder(s.t, keys.pos, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'pickup', location: 'ath-1' },
      payment: { method: 'in_store' },
    }), 201)
    s.t.clock.advance(hour)
    const online = await ok(placeOrder(s.t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 2 }],
      fulfillment: { method: 'ship', address: { line1: 'Ermou 1', city: 'Athens', country: 'GR' } },
      payment: { method: 'cash_on_delivery' },
    }), 201)
    const buyers = await createSegmentVia(s.t, { type: 'behaviour', event: 'order.placed', channel: 'pos-ath' })
    await settle(s.t)
    const { traits } = await traitsOf(s.t, counter.customerId)
    expect(traits).toMatchObject({
      orderCount: 2,
      lifetimeValue: counter.totals.total + online.totals.total,
      firstOrderChannel: 'pos-ath',
      lastOrderChannel: 'web',
      firstOrderAt: '2026-03-01T10:00:00.000Z',
      lastOrderAt: '2026-03-01T11:00:00.000Z',
      preferredStore: 'ath-1',
      channelsUsed: expect.arrayContaining(['pos-ath', 'web']),
    })
    expect(await members(s.t, buyers)).toEqual([counter.customerId])
  })
})
