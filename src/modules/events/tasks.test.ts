import { describe, expect, it } from 'vitest'
import { nextBatchSize } from './tasks.js'

describe('processing batch size', () => {
  it('halves after a slow transaction and doubles after a quick full one, within bounds', () => {
    expect(nextBatchSize(40, 40, 450)).toBe(20)
    expect(nextBatchSize(10, 10, 5_000)).toBe(10)
    expect(nextBatchSize(40, 40, 20)).toBe(80)
    expect(nextBatchSize(400, 400, 10)).toBe(500)
    // A quick batch that found fewer events than asked says nothing about a bigger one.
    expect(nextBatchSize(40, 3, 5)).toBe(40)
    expect(nextBatchSize(40, 40, 120)).toBe(40)
  })
})
