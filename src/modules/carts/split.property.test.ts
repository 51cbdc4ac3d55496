import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { ok } from '../../../test/support/replies.js'
import { seedSkus } from '../inventory/testing.js'
import { seedShop, type Keys } from './testing.js'

const skus = ['TEE-M', 'MUG-1', 'CAP-1']
const quantities = fc.dictionary(fc.constantFrom(...skus), fc.integer({ min: 1, max: 4 }), { maxKeys: 3 })
// What the person does to the merged cart before the merge is undone: a SKU set to a quantity (0 removes it).
const edits = fc.array(fc.tuple(fc.constantFrom(...skus), fc.integer({ min: 0, max: 6 })), { maxLength: 4 })

describe.each(engines)('splitting carts on unmerge on %s', (engine) => {
  let t: TestApp
  let keys: Keys
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())

  const lines = async (cartId: string): Promise<Record<string, number>> =>
    Object.fromEntries((await ok(t.call('GET', `/v1/carts/${cartId}`))).lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity]))
  async function cartWith(customerId: string, wanted: Record<string, number>) {
    const cart = await ok(t.call('POST', '/v1/carts', { customerId }, { key: keys.web }), 201)
    for (const [sku, quantity] of Object.entries(wanted)) await ok(t.call('POST', `/v1/carts/${cart.id}/lines`, { sku, quantity }, { key: keys.web }))
    return cart.id as string
  }

  it('gives the restored customer at most what they brought and loses or doubles nothing', () =>
    fc.assert(
      fc.asyncProperty(quantities, quantities, edits, async (kept, brought, changes) => {
        await t.reset()
        keys = await seedShop(t)
        await seedSkus(t, 'CAP-1')
        const survivor = (await ok(t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'a@example.com' }] }), 201)).id
        t.clock.advance(1000)
        const loser = (await ok(t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'b@example.com' }] }), 201)).id
        const survivorCart = await cartWith(survivor, kept)
        const loserCart = await cartWith(loser, brought)
        await ok(t.call('POST', `/v1/customers/${survivor}/merge`, { otherId: loser }))
        await t.dispatcher.drain()
        for (const [sku, quantity] of changes) {
          const has = sku in (await lines(survivorCart))
          if (quantity === 0) {
            if (has) await ok(t.call('DELETE', `/v1/carts/${survivorCart}/lines/${sku}`, undefined, { key: keys.web }))
          } else if (has) await ok(t.call('PATCH', `/v1/carts/${survivorCart}/lines/${sku}`, { quantity }, { key: keys.web }))
          else await ok(t.call('POST', `/v1/carts/${survivorCart}/lines`, { sku, quantity }, { key: keys.web }))
        }
        const merged = await lines(survivorCart)

        await ok(t.call('POST', `/v1/customers/${survivor}/unmerge`, { loserId: loser }))
        await t.dispatcher.drain()
        expect((await ok(t.call('GET', `/v1/customers/${loser}/cart`))).id).toBe(loserCart)
        const [left, back] = [await lines(survivorCart), await lines(loserCart)]
        for (const sku of skus) {
          expect((left[sku] ?? 0) + (back[sku] ?? 0), sku).toBe(merged[sku] ?? 0)
          expect(back[sku] ?? 0, sku).toBe(Math.min(brought[sku] ?? 0, merged[sku] ?? 0))
        }
      }),
      { numRuns: 12 },
    ))
})
