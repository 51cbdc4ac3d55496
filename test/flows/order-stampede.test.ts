import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createChannel, receive, reconcile, seedSkus } from '../../src/modules/inventory/testing.js'
import { orderCounts, placeOrder, seedShop, type ShopKeys } from '../../src/modules/orders/testing.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { engines } from '../support/engines.js'

const hot = ['HOT-A', 'HOT-B', 'HOT-C', 'HOT-D'] as const
type Touchpoint = keyof ShopKeys | 'kiosk'
type Wish = { via: Touchpoint; lines: { sku: string; quantity: number }[]; pickup: boolean }

/**
 * 500 orders at once from six touchpoints over four hot SKUs held at a warehouse and a store:
 * far more is asked than there is. Whatever wins, the stock never goes below zero, every order
 * that got a 201 holds all it asked for, and every level still reconciles with its ledger and
 * with the reservations that hold it.
 */
describe.each(engines)('500 concurrent orders on %s', (engine) => {
  let t: TestApp
  let keys: Record<Touchpoint, string>
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 20 })
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    const shop = await seedShop(t)
    keys = { ...shop, kiosk: await createChannel(t, 'kiosk-ath', 'kiosk', { location: 'ath-1' }) }
    await seedSkus(t, ...hot)
    const stock: [string, string, number][] = [
      ['HOT-A', 'wh-1', 60], ['HOT-A', 'ath-1', 10],
      ['HOT-B', 'wh-1', 40], ['HOT-B', 'ath-1', 15],
      ['HOT-C', 'wh-1', 25], ['HOT-C', 'ath-1', 5],
      ['HOT-D', 'ath-1', 20],
    ]
    for (const [sku, location, quantity] of stock) await receive(t, sku, location, quantity)
  })

  it('never oversells, and every winning order holds all it asked for', { timeout: 240_000 }, async () => {
    const wishes = fc.sample(
      fc.record({
        via: fc.constantFrom<Touchpoint>('web', 'app', 'pos', 'kiosk', 'phone', 'insta'),
        lines: fc.uniqueArray(fc.record({ sku: fc.constantFrom(...hot), quantity: fc.integer({ min: 1, max: 3 }) }), {
          minLength: 1,
          maxLength: 3,
          selector: (l) => l.sku,
        }),
        pickup: fc.boolean(),
      }),
      { numRuns: 500, seed: 4_500 },
    ) as Wish[]
    const answers = await Promise.all(
      wishes.map((w, i) =>
        placeOrder(t, keys[w.via], {
          customer: { email: `stampede${i % 120}@example.com` },
          lines: w.lines,
          fulfillment: w.pickup
            ? { method: 'pickup', location: 'ath-1' }
            : { method: 'ship', address: { line1: `${i} Odos`, city: 'Athens', country: 'GR' } },
          payment: { method: w.pickup ? 'in_store' : 'cash_on_delivery' },
        }),
      ),
    )
    const won = answers.flatMap((r, i) => (r.statusCode === 201 ? [{ order: r.json(), wish: wishes[i]! }] : []))
    for (const r of answers.filter((r) => r.statusCode !== 201)) {
      expect(r.statusCode, r.body).toBe(409)
      expect(r.json().type).toBe('https://omnia.dev/problems/insufficient-stock')
    }
    expect(won.length).toBeGreaterThan(30)
    expect(won.length).toBeLessThan(500)
    expect(new Set(won.map((w) => w.wish.via)).size).toBe(6)

    for (const { order, wish } of won) {
      for (const line of wish.lines) {
        const held = order.lines.filter((l: { sku: string }) => l.sku === line.sku).reduce((n: number, l: { quantity: number }) => n + l.quantity, 0)
        expect(held).toBe(line.quantity)
      }
      if (wish.pickup) expect(new Set(order.lines.map((l: { location: string }) => l.location))).toEqual(new Set(['ath-1']))
    }
    const levels = (await reconcile(t.db)).filter((l) => l.sku.startsWith('HOT-'))
    for (const l of levels) {
      expect(l.onHand - l.reserved - l.safetyStock, `${l.sku}@${l.location}`).toBeGreaterThanOrEqual(0)
      expect(Number(l.held), `${l.sku}@${l.location}`).toBe(l.reserved)
      expect(Number(l.ledger), `${l.sku}@${l.location}`).toBe(l.onHand)
    }
    for (const sku of hot) {
      const reserved = levels.filter((l) => l.sku === sku).reduce((n, l) => n + l.reserved, 0)
      const ordered = won.flatMap((w) => w.wish.lines).filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0)
      expect(reserved, sku).toBe(ordered)
    }
    expect(await orderCounts(t.db)).toMatchObject({ orders: won.length, reservations: won.length })
    expect(new Set(won.map((w) => w.order.number)).size).toBe(won.length)
  })
})
