import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { allocate } from './money.js'

describe('allocate', () => {
  it('gives the leftover units to the largest remainders, ties to the earlier weight', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33])
    expect(allocate(10, [3, 3, 4])).toEqual([3, 3, 4])
    expect(allocate(5, [1, 2])).toEqual([2, 3])
    expect(allocate(0, [0, 0])).toEqual([0, 0])
  })

  it('never gives a unit to a zero weight', () => {
    expect(allocate(7, [0, 5, 0, 2])).toEqual([0, 5, 0, 2])
  })

  it('refuses what cannot be split', () => {
    expect(() => allocate(1, [0, 0])).toThrow(RangeError)
    expect(() => allocate(-1, [1])).toThrow(RangeError)
    expect(() => allocate(1.5, [1])).toThrow(RangeError)
    expect(() => allocate(1, [-1, 2])).toThrow(RangeError)
  })

  it('sums exactly, has no negative part and stays within one unit of the exact share', () => {
    const weights = fc.array(fc.nat({ max: 10_000_000 }), { minLength: 1, maxLength: 30 })
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000_000 }), weights, (amount, ws) => {
        fc.pre(ws.some((w) => w > 0))
        const parts = allocate(amount, ws)
        const total = ws.reduce((a, b) => a + b, 0)
        expect(parts.reduce((a, b) => a + b, 0)).toBe(amount)
        parts.forEach((part, i) => {
          expect(part).toBeGreaterThanOrEqual(0)
          // |part - amount·w/total| < 1, in integers: |part·total - amount·w| < total
          const gap = BigInt(part) * BigInt(total) - BigInt(amount) * BigInt(ws[i]!)
          expect(gap < BigInt(total) && gap > -BigInt(total)).toBe(true)
        })
      }),
      { numRuns: 500 },
    )
  })

  it('splits amounts beyond 2^53 / weight exactly', () => {
    const max = Number.MAX_SAFE_INTEGER
    const parts = allocate(max, [max, 1, max])
    expect(parts.reduce((a, b) => a + b, 0)).toBe(max)
  })
})
