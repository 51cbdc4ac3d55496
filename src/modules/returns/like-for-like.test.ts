import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { likeForLikeAllowances, type ReplacementLine, type ReturnedUnits } from './like-for-like.js'

const returned = (r: Partial<ReturnedUnits>): ReturnedUnits => ({
  quantity: 1,
  value: 4000,
  productId: 'jeans',
  priceNow: 5000,
  ...r,
})
const line = (l: Partial<ReplacementLine>): ReplacementLine => ({
  quantity: 1,
  productId: 'jeans',
  priceNow: 5000,
  cost: 5000,
  ...l,
})

describe('like-for-like allowances', () => {
  it('prices a same-priced variant at what the returned unit was paid', () => {
    expect(likeForLikeAllowances([returned({})], [line({})])).toEqual([1000])
  })

  it('adds the difference in today’s prices, and gives a cheaper variant’s back, never below nothing', () => {
    expect(likeForLikeAllowances([returned({})], [line({ priceNow: 5500, cost: 5500 })])).toEqual([
      1000,
    ])
    expect(likeForLikeAllowances([returned({})], [line({ priceNow: 4500, cost: 4500 })])).toEqual([
      1000,
    ])
    expect(
      likeForLikeAllowances([returned({ value: 300 })], [line({ priceNow: 100, cost: 100 })]),
    ).toEqual([100])
  })

  it('treats a returned variant without a price today as priced like its replacement', () => {
    expect(
      likeForLikeAllowances([returned({ priceNow: null })], [line({ priceNow: 6000, cost: 6000 })]),
    ).toEqual([2000])
  })

  it('charges other products and units beyond those returned what a new order would', () => {
    expect(
      likeForLikeAllowances(
        [returned({})],
        [line({ productId: 'coat' }), line({ productId: null })],
      ),
    ).toEqual([0, 0])
    // Two units for one returned: the second is at full cost.
    expect(likeForLikeAllowances([returned({})], [line({ quantity: 2, cost: 10000 })])).toEqual([
      1000,
    ])
    // One returned unit is matched once, to the first replacement of its product.
    expect(likeForLikeAllowances([returned({})], [line({}), line({})])).toEqual([1000, 0])
  })

  it('allows nothing where promotions already make the unit cheaper', () => {
    expect(likeForLikeAllowances([returned({})], [line({ cost: 3500 })])).toEqual([0])
  })

  it('splits what several units were paid so the cents add up', () => {
    // Three units paid 100 in all: the first 33, the next two 67, as refunds would split them.
    const back = [returned({ quantity: 3, value: 100, priceNow: 50 })]
    const allowances = likeForLikeAllowances(back, [
      line({ quantity: 1, priceNow: 50, cost: 50 }),
      line({ quantity: 2, priceNow: 50, cost: 100 }),
    ])
    expect(allowances).toEqual([50 - 33, 100 - 67])
  })

  it('never raises a cost, never takes a line below nothing, and makes an even swap cost what was paid', () => {
    const product = fc.constantFrom('jeans', 'coat', null)
    const returnedUnits = fc.record({
      quantity: fc.integer({ min: 1, max: 5 }),
      value: fc.integer({ min: 0, max: 50_000 }),
      productId: product,
      priceNow: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: null }),
    })
    const replacement = fc
      .record({
        quantity: fc.integer({ min: 1, max: 5 }),
        productId: product,
        priceNow: fc.integer({ min: 0, max: 20_000 }),
        off: fc.integer({ min: 0, max: 100 }),
      })
      .map(({ off, ...l }) => ({
        ...l,
        cost: l.quantity * l.priceNow - Math.floor((l.quantity * l.priceNow * off) / 100),
      }))
    fc.assert(
      fc.property(
        fc.array(returnedUnits, { maxLength: 4 }),
        fc.array(replacement, { maxLength: 4 }),
        (back, lines) => {
          const allowances = likeForLikeAllowances(back, lines)
          expect(allowances).toHaveLength(lines.length)
          allowances.forEach((a, i) => {
            expect(Number.isSafeInteger(a)).toBe(true)
            expect(a).toBeGreaterThanOrEqual(0)
            expect(a).toBeLessThanOrEqual(lines[i]!.cost)
            if (lines[i]!.productId === null) expect(a).toBe(0)
          })
        },
      ),
    )
    // One product, one price, every unit swapped: the replacement costs exactly what was paid.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 100, max: 20_000 }),
        fc.integer({ min: 0, max: 100 }),
        (quantity, price, paidShare) => {
          const paid = Math.floor((quantity * price * paidShare) / 100)
          const back = [returned({ quantity, value: paid, priceNow: price })]
          const [allowance] = likeForLikeAllowances(back, [
            line({ quantity, priceNow: price, cost: quantity * price }),
          ])
          expect(quantity * price - allowance!).toBe(paid)
        },
      ),
    )
  })
})
