import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { ok } from '../../../test/support/replies.js'
import { receive, seedSkus } from '../inventory/testing.js'
import { placeOrder } from '../orders/testing.js'
import { seedShop } from './testing.js'

const skus = ['TEE-M', 'MUG-1', 'CAP-1', 'BAG-1']
const eur = (amount: number) => ({ amount, currency: 'EUR' })

const promotion = fc.record({
  coupon: fc.boolean(),
  discount: fc.oneof(
    fc.record({ type: fc.constant('percentage'), percentOff: fc.integer({ min: 1, max: 60 }) }),
    fc.record({
      type: fc.constant('fixed'),
      amountOff: fc.integer({ min: 1, max: 3_000 }).map(eur),
    }),
  ),
  target: fc.oneof(
    fc.constant({ kind: 'order' }),
    fc.subarray(skus, { minLength: 1 }).map((chosen) => ({ kind: 'skus', skus: chosen })),
  ),
  minSpend: fc.option(fc.integer({ min: 100, max: 8_000 }).map(eur), { nil: undefined }),
  stackable: fc.boolean(),
})

const shelf = fc.record(
  Object.fromEntries(skus.map((sku) => [sku, fc.integer({ min: 1, max: 9_999 })])),
)
const basket = fc.dictionary(fc.constantFrom(...skus), fc.integer({ min: 1, max: 5 }), {
  minKeys: 1,
})

/**
 * One price book and one promotion engine: whatever the prices, promotions and lines, an order
 * placed from a cart pays exactly what the cart showed, line by line.
 */
describe.each(engines)('cart totals against the order placed from the cart on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())

  it('charges what the cart showed, whatever the promotions and lines', () =>
    fc.assert(
      fc.asyncProperty(
        shelf,
        fc.array(promotion, { maxLength: 3 }),
        basket,
        async (prices, offers, lines) => {
          await t.reset()
          const keys = await seedShop(t)
          await seedSkus(t, 'CAP-1', 'BAG-1')
          for (const sku of skus) {
            await ok(t.call('PUT', `/v1/pricing/prices/${sku}`, { prices: [eur(prices[sku]!)] }))
            await receive(t, sku, 'wh-1', 20)
          }
          let code: string | null = null
          for (const [i, { coupon, ...offer }] of offers.entries()) {
            if (coupon && !code) code = `CODE-${i}`
            const trigger = coupon && code === `CODE-${i}` ? { trigger: 'coupon', code } : {}
            await ok(
              t.call('POST', '/v1/promotions', { name: `Offer ${i}`, ...offer, ...trigger }),
              201,
            )
          }
          const customer = await ok(
            t.call('POST', '/v1/customers', {
              identities: [{ kind: 'email', value: 'p@example.com' }],
            }),
            201,
          )
          const cart = await ok(
            t.call('POST', '/v1/carts', { customerId: customer.id }, { key: keys.web }),
            201,
          )
          for (const [sku, quantity] of Object.entries(lines))
            await ok(
              t.call('POST', `/v1/carts/${cart.id}/lines`, { sku, quantity }, { key: keys.web }),
            )
          if (code)
            await ok(t.call('PUT', `/v1/carts/${cart.id}/coupon`, { code }, { key: keys.web }))
          let shown = await ok(t.call('GET', `/v1/carts/${cart.id}`, undefined, { key: keys.web }))
          // A coupon the cart says does not apply would be refused at checkout: the shopper drops it.
          if (shown.coupon && !shown.coupon.applied)
            shown = await ok(
              t.call('DELETE', `/v1/carts/${cart.id}/coupon`, undefined, { key: keys.web }),
            )

          const order = await ok(
            placeOrder(t, keys.web, {
              cartId: cart.id,
              fulfillment: { address: { line1: '1 Main street', city: 'Athens', country: 'GR' } },
              payment: { method: 'cash_on_delivery' },
            }),
            201,
          )
          expect(order.totals).toMatchObject({
            subtotal: shown.subtotal.amount,
            discount: shown.discount.amount,
            total: shown.total.amount + order.totals.shipping,
          })
          const byLine = (all: { sku: string; discount: { amount: number } }[]) =>
            Object.fromEntries(all.map((l) => [l.sku, l.discount.amount]))
          expect(byLine(order.lines)).toEqual(byLine(shown.lines))
          expect(order.coupon).toBe(shown.coupon?.code ?? null)
        },
      ),
      { numRuns: 15 },
    ))
})
