import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../../../test/support/engines.js'
import { receive, reconcile, seedSkus } from '../inventory/testing.js'
import { startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { orderCounts, placeOrder, seedShop, type ShopKeys } from './testing.js'

type Wish = { via: keyof ShopKeys; a: number; b: number }

describe.each(engines)('concurrent order placement on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: ShopKeys
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 20 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    await s.t.reset()
    keys = await seedShop(s.t)
    await seedSkus(s.t, 'HOT-A', 'HOT-B')
    await receive(s.t, 'HOT-A', 'wh-1', 40)
    await receive(s.t, 'HOT-B', 'wh-1', 25)
    await receive(s.t, 'HOT-A', 'ath-1', 6)
    await receive(s.t, 'HOT-B', 'ath-1', 4)
  })

  it('never oversells two hot SKUs to 100 orders from every touchpoint at once', async () => {
    const wishes = fc.sample(
      fc
        .record({
          via: fc.constantFrom<keyof ShopKeys>('web', 'app', 'pos', 'phone', 'insta'),
          a: fc.integer({ min: 0, max: 2 }),
          b: fc.integer({ min: 0, max: 2 }),
        })
        .filter((w) => w.a + w.b > 0),
      { numRuns: 100, seed: 20261125 },
    ) as Wish[]
    const answers = await Promise.all(
      wishes.map((w, i) =>
        placeOrder(s.t, keys[w.via], {
          customer: { email: `buyer${i}@example.com` },
          lines: [
            ...(w.a ? [{ sku: 'HOT-A', quantity: w.a }] : []),
            ...(w.b ? [{ sku: 'HOT-B', quantity: w.b }] : []),
          ],
          fulfillment: { method: 'ship', address: { line1: 'x', city: 'Athens', country: 'GR' } },
          payment: { method: 'cash_on_delivery' },
        }),
      ),
    )
    const won = answers.flatMap((r, i) =>
      r.statusCode === 201 ? [{ order: r.json(), wish: wishes[i]! }] : [],
    )
    for (const r of answers.filter((r) => r.statusCode !== 201)) {
      expect(r.statusCode, r.body).toBe(409)
      expect(r.json().type).toBe('https://omnia.dev/problems/insufficient-stock')
    }
    expect(won.length).toBeGreaterThan(10)
    expect(won.length).toBeLessThan(100)
    // Every successful order holds exactly what it asked for.
    for (const { order, wish } of won) {
      const held = (sku: string) =>
        order.lines
          .filter((l: { sku: string }) => l.sku === sku)
          .reduce((n: number, l: { quantity: number }) => n + l.quantity, 0)
      expect([held('HOT-A'), held('HOT-B')]).toEqual([wish.a, wish.b])
    }
    const levels = (await reconcile(s.t.db)).filter((l) => l.sku.startsWith('HOT-'))
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
    expect(reserved('HOT-A')).toBe(won.reduce((n, w) => n + w.wish.a, 0))
    expect(reserved('HOT-B')).toBe(won.reduce((n, w) => n + w.wish.b, 0))
    expect(await orderCounts(s.t.db)).toMatchObject({
      orders: won.length,
      reservations: won.length,
    })
    expect(new Set(won.map((w) => w.order.number)).size).toBe(won.length)
  })
})
