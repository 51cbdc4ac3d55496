import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { reserveMany } from './grouped-reservations.js'
import { recordMovement } from './movements.js'
import { createLocations, reconcile, resetInventory, seedSkus } from './testing.js'

const skus = ['G-A', 'G-B'] as const
const locations = ['g-1', 'g-2'] as const
const caller = { actor: 'test:group', channel: null, location: null }

const request = fc.record({
  lines: fc.uniqueArray(
    fc.record({
      sku: fc.constantFrom(...skus),
      location: fc.constantFrom(...locations),
      quantity: fc.integer({ min: 1, max: 5 }),
    }),
    { minLength: 1, maxLength: 3, selector: (l) => `${l.sku}/${l.location}` },
  ),
})

describe.each(engines)('grouped reservations on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
    await createLocations(t, ...locations)
    await seedSkus(t, ...skus)
  })
  afterAll(() => t.close())

  it('grants a group as if one by one: never more than is there, every refusal justified', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 4, maxLength: 4 }),
        fc.array(request, { minLength: 2, maxLength: 25 }),
        async (onHand, requests) => {
          await resetInventory(t.db)
          const rows = skus.flatMap((sku) => locations.map((location) => ({ sku, location })))
          await inTransaction(t.db, async (tx) => {
            for (const [i, row] of rows.entries()) {
              if (onHand[i]! > 0) {
                await recordMovement(tx, t.clock, 'test', { ...row, kind: 'receipt', quantity: onHand[i]!, reason: 'seed' })
              }
            }
          })
          const outcomes = await inTransaction(t.db, (tx) =>
            reserveMany(
              tx,
              t.clock,
              requests.map((r, i) => ({ caller, input: { lines: r.lines, ttlSeconds: 60, reference: `g${i}` } })),
            ),
          )
          const facts = await reconcile(t.db)
          const left = new Map(facts.map((f) => [`${f.sku}/${f.location}`, f.onHand - f.reserved - f.safetyStock]))
          for (const f of facts) {
            expect(f.reserved).toBe(f.held)
            expect(f.reserved).toBeLessThanOrEqual(f.onHand)
          }
          outcomes.forEach((o, i) => {
            if (o.ok) {
              expect(o.value.lines).toHaveLength(requests[i]!.lines.length)
              return
            }
            expect(o.error.kind).toBe('insufficient-stock')
            // Availability only falls after a refusal, so some line still cannot fit.
            const short = requests[i]!.lines.some((l) => l.quantity > (left.get(`${l.sku}/${l.location}`) ?? 0))
            expect(short).toBe(true)
          })
        },
      ),
      { numRuns: 30 },
    ))
})
