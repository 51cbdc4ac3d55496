import { allocate } from '../../kernel/money.js'

/** Returned units: what they were paid, their product, and their variant's price today. */
export type ReturnedUnits = {
  quantity: number
  value: number
  productId: string | null
  priceNow: number | null
}

/** A replacement line: its product, its price today, and what it costs after promotions. */
export type ReplacementLine = {
  quantity: number
  productId: string | null
  priceNow: number
  cost: number
}

/**
 * What each replacement line is allowed off, beyond its promotions, so that an exchange within
 * one product is even. A unit of the product of a returned unit (another size or colour, or the
 * same SKU again) costs what the returned unit was paid, plus the difference between the two
 * variants' prices today: a dearer variant costs the difference, a cheaper one gives it back,
 * and none costs less than nothing. A returned variant no longer priced counts as priced like
 * its replacement. Other products, and units beyond those returned, cost what a new order would;
 * where the promotions already make a unit cheaper, nothing is allowed. Returned units are
 * matched to replacement lines in the order both were given, and what they were paid is split
 * over them as refunds split it (`allocate`), so no cent counts twice.
 */
export function likeForLikeAllowances(
  returned: readonly ReturnedUnits[],
  replacements: readonly ReplacementLine[],
): number[] {
  const taken = returned.map(() => 0)
  const paidUpTo = (r: ReturnedUnits, units: number) =>
    allocate(r.value, [units, r.quantity - units])[0]!
  return replacements.map((line) => {
    let units = 0
    let target = 0
    returned.forEach((r, i) => {
      if (line.productId === null || r.productId !== line.productId) return
      const m = Math.min(line.quantity - units, r.quantity - taken[i]!)
      if (m <= 0) return
      const paid = paidUpTo(r, taken[i]! + m) - paidUpTo(r, taken[i]!)
      target += Math.max(0, paid + m * (line.priceNow - (r.priceNow ?? line.priceNow)))
      taken[i]! += m
      units += m
    })
    if (units === 0) return 0
    const costOfUnits = allocate(line.cost, [units, line.quantity - units])[0]!
    return Math.max(0, costOfUnits - target)
  })
}
