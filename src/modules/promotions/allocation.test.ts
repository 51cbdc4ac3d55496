import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { planDiscounts, type PolicyLine, type PolicyPromotion } from './allocation.js'

const line = (
  sku: string,
  unitPrice: number,
  quantity = 1,
  categories: string[] = [],
): PolicyLine => ({
  sku,
  unitPrice,
  quantity,
  categories,
})

const promo = (id: string, over: Partial<PolicyPromotion> = {}): PolicyPromotion => ({
  id,
  name: id,
  discount: { type: 'percentage', percentOff: 10 },
  target: { kind: 'order' },
  currency: null,
  minSpend: null,
  stackable: false,
  code: null,
  ...over,
})

describe('discount allocation policy', () => {
  it('rounds a percentage down on each line', () => {
    const plan = planDiscounts([line('A', 999), line('B', 1999)], 'EUR', [promo('p1')])
    expect(plan.lines.map((l) => l.discount)).toEqual([99, 199])
    expect(plan).toMatchObject({ subtotal: 2998, discountTotal: 298, total: 2700 })
  })

  it('splits a fixed order discount in proportion, the leftover unit to the largest remainder', () => {
    const fixed = promo('p1', { discount: { type: 'fixed', amountOff: 1000 }, currency: 'EUR' })
    const plan = planDiscounts([line('A', 1000), line('B', 1000), line('C', 1000)], 'EUR', [fixed])
    expect(plan.lines.map((l) => l.discount)).toEqual([334, 333, 333])
    expect(plan.discountTotal).toBe(1000)
  })

  it('never takes off more than the lines are worth', () => {
    const fixed = promo('p1', { discount: { type: 'fixed', amountOff: 50_000 }, currency: 'EUR' })
    const plan = planDiscounts([line('A', 700, 2), line('B', 300)], 'EUR', [fixed])
    expect(plan.lines.map((l) => l.discount)).toEqual([1400, 300])
    expect(plan.total).toBe(0)
  })

  it('discounts only the targeted SKUs and categories', () => {
    const lines = [line('TEE', 2000, 1, ['shirts']), line('MUG', 1000, 2, ['kitchen'])]
    const bySku = promo('p1', {
      target: { kind: 'skus', skus: ['MUG'] },
      discount: { type: 'percentage', percentOff: 50 },
    })
    expect(planDiscounts(lines, 'EUR', [bySku]).lines.map((l) => l.discount)).toEqual([0, 1000])
    const byCategory = promo('p2', {
      target: { kind: 'categories', categories: ['shirts'] },
      discount: { type: 'fixed', amountOff: 500 },
      currency: 'EUR',
    })
    expect(planDiscounts(lines, 'EUR', [byCategory]).lines.map((l) => l.discount)).toEqual([500, 0])
  })

  it('says why a promotion did not apply', () => {
    const lines = [line('TEE', 2000)]
    const plan = planDiscounts(lines, 'EUR', [
      promo('a', { minSpend: 5000, currency: 'EUR' }),
      promo('b', { target: { kind: 'skus', skus: ['MUG'] } }),
      promo('c', { discount: { type: 'fixed', amountOff: 100 }, currency: 'USD' }),
    ])
    expect(plan.applied).toEqual([])
    expect(plan.notApplied).toEqual([
      { promotionId: 'a', code: null, reason: 'min-spend-not-met' },
      { promotionId: 'b', code: null, reason: 'no-matching-lines' },
      { promotionId: 'c', code: null, reason: 'currency-mismatch' },
    ])
  })

  it('applies only the best non-stackable promotion, and every stackable one', () => {
    const lines = [line('TEE', 10_000)]
    const plan = planDiscounts(lines, 'EUR', [
      promo('ten', { discount: { type: 'percentage', percentOff: 10 } }),
      promo('flat', { discount: { type: 'fixed', amountOff: 1500 }, currency: 'EUR' }),
      promo('stack', {
        discount: { type: 'fixed', amountOff: 100 },
        currency: 'EUR',
        stackable: true,
      }),
    ])
    expect(plan.applied.map((a) => [a.promotionId, a.amount])).toEqual([
      ['flat', 1500],
      ['stack', 100],
    ])
    expect(plan.notApplied).toEqual([
      { promotionId: 'ten', code: null, reason: 'better-promotion-applies' },
    ])
    expect(plan.discountTotal).toBe(1600)
  })

  it('applies percentages before fixed amounts, each on what is left', () => {
    const plan = planDiscounts([line('TEE', 10_000)], 'EUR', [
      promo('a', {
        discount: { type: 'fixed', amountOff: 1000 },
        currency: 'EUR',
        stackable: true,
      }),
      promo('b', { discount: { type: 'percentage', percentOff: 20 }, stackable: true }),
    ])
    expect(plan.applied.map((a) => [a.promotionId, a.amount])).toEqual([
      ['b', 2000],
      ['a', 1000],
    ])
  })

  it('reports a promotion that finds nothing left to discount', () => {
    const plan = planDiscounts([line('TEE', 500)], 'EUR', [
      promo('a', { discount: { type: 'percentage', percentOff: 100 }, stackable: true }),
      promo('b', { discount: { type: 'fixed', amountOff: 100 }, currency: 'EUR', stackable: true }),
    ])
    expect(plan.notApplied).toEqual([
      { promotionId: 'b', code: null, reason: 'nothing-left-to-discount' },
    ])
    expect(plan.total).toBe(0)
  })

  it('holds its invariants for any basket and any promotions', () => {
    const lineArb = fc.record({
      sku: fc.constantFrom('A', 'B', 'C'),
      categories: fc.subarray(['x', 'y']),
      quantity: fc.integer({ min: 1, max: 20 }),
      unitPrice: fc.nat({ max: 1_000_000 }),
    })
    const promoArb = fc.record({
      id: fc.uuid(),
      name: fc.constant('p'),
      discount: fc.oneof(
        fc.record({
          type: fc.constant('percentage' as const),
          percentOff: fc.integer({ min: 1, max: 100 }),
        }),
        fc.record({
          type: fc.constant('fixed' as const),
          amountOff: fc.integer({ min: 1, max: 5_000_000 }),
        }),
      ),
      target: fc.oneof(
        fc.constant({ kind: 'order' as const }),
        fc.record({
          kind: fc.constant('skus' as const),
          skus: fc.subarray(['A', 'B', 'C'], { minLength: 1 }),
        }),
        fc.record({
          kind: fc.constant('categories' as const),
          categories: fc.subarray(['x', 'y'], { minLength: 1 }),
        }),
      ),
      currency: fc.constantFrom('EUR' as const, null),
      minSpend: fc.option(fc.nat({ max: 2_000_000 })),
      stackable: fc.boolean(),
      code: fc.constant(null),
    })
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 1, maxLength: 8 }),
        fc.array(promoArb, { maxLength: 5 }),
        (lines, promos) => {
          const plan = planDiscounts(lines, 'EUR', promos)
          for (const l of plan.lines) {
            expect(l.discount).toBeGreaterThanOrEqual(0)
            expect(l.discount).toBeLessThanOrEqual(l.lineTotal)
            expect(l.allocations.reduce((a, b) => a + b.amount, 0)).toBe(l.discount)
          }
          const byLines = plan.lines.reduce((a, l) => a + l.discount, 0)
          expect(plan.discountTotal).toBe(byLines)
          expect(plan.applied.reduce((a, p) => a + p.amount, 0)).toBe(byLines)
          expect(plan.total).toBe(plan.subtotal - plan.discountTotal)
          const applied = new Set(plan.applied.map((a) => a.promotionId))
          expect(
            promos.filter((p) => !p.stackable && applied.has(p.id)).length,
          ).toBeLessThanOrEqual(1)
          expect(plan.applied.length + plan.notApplied.length).toBe(promos.length)
        },
      ),
      { numRuns: 300 },
    )
  })
})
