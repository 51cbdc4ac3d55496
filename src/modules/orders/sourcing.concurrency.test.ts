import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../../../test/support/engines.js'
import { reconcile } from '../inventory/testing.js'
import { startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { orderCounts, placeOrder, places, seedGeoShop, type GeoShopKeys } from './testing.js'

type Wish = { tee: number; mug: number; at: keyof typeof places; method: 'ship' | 'courier' }

describe.each(engines)('concurrent sourced placements on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: GeoShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 16 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    await s.t.reset()
    keys = await seedGeoShop(s.t)
  })

  it('never oversells the last units when 60 orders choose their locations at once', async () => {
    const wishes = fc.sample(
      fc
        .record({
          tee: fc.integer({ min: 0, max: 3 }),
          mug: fc.integer({ min: 0, max: 1 }),
          at: fc.constantFrom<keyof typeof places>('athens', 'piraeus', 'patras', 'thessaloniki'),
          method: fc.constantFrom('ship' as const, 'courier' as const),
        })
        .filter((w) => w.tee + w.mug > 0),
      { numRuns: 60, seed: 20261125 },
    ) as Wish[]
    const answers = await Promise.all(
      wishes.map((w, i) =>
        placeOrder(s.t, i % 3 === 0 ? keys.posPatras : keys.web, {
          customer: { email: `buyer${i}@example.com` },
          lines: [
            ...(w.tee ? [{ sku: 'TEE-M', quantity: w.tee }] : []),
            ...(w.mug ? [{ sku: 'MUG-1', quantity: w.mug }] : []),
          ],
          fulfillment: {
            method: w.method,
            address: { line1: 'x', city: w.at, country: 'GR', geo: places[w.at] },
          },
          payment: { method: 'cash_on_delivery' },
        }),
      ),
    )
    const won = answers.flatMap((r, i) =>
      r.statusCode === 201 ? [{ order: r.json(), wish: wishes[i]! }] : [],
    )
    for (const r of answers.filter((r) => r.statusCode !== 201)) {
      expect([409, 422], r.body).toContain(r.statusCode)
    }
    expect(won.length).toBeGreaterThan(5)
    expect(won.length).toBeLessThan(wishes.length)
    for (const { order, wish } of won) {
      const held = (sku: string) =>
        order.lines
          .filter((l: { sku: string }) => l.sku === sku)
          .reduce((n: number, l: { quantity: number }) => n + l.quantity, 0)
      expect([held('TEE-M'), held('MUG-1')]).toEqual([wish.tee, wish.mug])
      const planned = order.sourcing.shipments.flatMap(
        (sh: { location: string; lines: { sku: string; quantity: number }[] }) =>
          sh.lines.map((l) => `${l.sku}@${sh.location}:${l.quantity}`),
      )
      expect(planned.sort()).toEqual(
        order.lines
          .map(
            (l: { sku: string; location: string; quantity: number }) =>
              `${l.sku}@${l.location}:${l.quantity}`,
          )
          .sort(),
      )
    }
    const levels = await reconcile(s.t.db)
    for (const l of levels) {
      expect(
        l.onHand - l.reserved - l.safetyStock,
        `${l.sku}@${l.location}`,
      ).toBeGreaterThanOrEqual(0)
      expect(Number(l.held)).toBe(l.reserved)
      expect(Number(l.ledger)).toBe(l.onHand)
    }
    const reserved = (sku: string) =>
      levels.filter((l) => l.sku === sku).reduce((n, l) => n + l.reserved, 0)
    expect(reserved('TEE-M')).toBe(won.reduce((n, w) => n + w.wish.tee, 0))
    expect(reserved('MUG-1')).toBe(won.reduce((n, w) => n + w.wish.mug, 0))
    expect(await orderCounts(s.t.db)).toMatchObject({
      orders: won.length,
      reservations: won.length,
    })
  })
})
