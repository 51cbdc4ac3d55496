import type { Shortage, StockKey } from './stock.js'

export type Allocation = StockKey & { quantity: number }
export type ReservationPlan = { allocations: Allocation[]; shortages: Shortage[] }
export type SourcingFacts = {
  /** Units available now, per sku then location, read under lock. */
  available: ReadonlyMap<string, ReadonlyMap<string, number>>
  /** Where lines without a location may be served from (the channel's selling locations). */
  sellable: readonly string[]
  /** The caller's own store, tried first when it can serve a whole line. */
  preferred: string | null
}

type Line = { sku: string; quantity: number; location?: string | undefined }

/**
 * Decides where each line is reserved. Lines naming a location take it from there. Other lines
 * (merged per SKU) are served whole by the caller's own store when it has enough, else whole by
 * the selling location with the most available; only when no single location has enough is a
 * line split, own store first, then by most available. Ties go to the lower location code so
 * the same facts always give the same plan. Shortages name what is really available.
 */
export function planReservation(lines: readonly Line[], facts: SourcingFacts): ReservationPlan {
  const allocations: Allocation[] = []
  const shortages: Shortage[] = []
  const left = new Map<string, Map<string, number>>()
  const availableAt = (sku: string, location: string) =>
    left.get(sku)?.get(location) ?? facts.available.get(sku)?.get(location) ?? 0
  const take = (sku: string, location: string, quantity: number) => {
    const row = left.get(sku) ?? new Map<string, number>()
    row.set(location, availableAt(sku, location) - quantity)
    left.set(sku, row)
    allocations.push({ sku, location, quantity })
  }

  for (const [key, quantity] of sumBy(
    lines.filter((l) => l.location),
    (l) => `${l.sku}\u0000${l.location}`,
  )) {
    const [sku, location] = key.split('\u0000') as [string, string]
    const have = availableAt(sku, location)
    if (have >= quantity) take(sku, location, quantity)
    else shortages.push({ sku, location, requested: quantity, available: have })
  }

  for (const [sku, quantity] of sumBy(
    lines.filter((l) => !l.location),
    (l) => l.sku,
  )) {
    const ranked = facts.sellable
      .map((location) => ({ location, have: availableAt(sku, location) }))
      .filter((c) => c.have > 0)
      .sort((a, b) => b.have - a.have || (a.location < b.location ? -1 : 1))
    const total = ranked.reduce((n, c) => n + c.have, 0)
    if (total < quantity) {
      shortages.push({ sku, requested: quantity, available: total })
      continue
    }
    const own = ranked.find((c) => c.location === facts.preferred)
    const whole = own && own.have >= quantity ? own : ranked[0]!.have >= quantity ? ranked[0] : null
    if (whole) {
      take(sku, whole.location, quantity)
      continue
    }
    const order = own ? [own, ...ranked.filter((c) => c !== own)] : ranked
    let needed = quantity
    for (const c of order) {
      if (needed === 0) break
      const part = Math.min(needed, c.have)
      take(sku, c.location, part)
      needed -= part
    }
  }
  return { allocations: mergeAllocations(allocations), shortages }
}

/**
 * The plan when every line can come from one place only (it names a location, or the channel
 * sells from a single one): it needs no stock facts, so the reservation can be granted by one
 * guarded statement without reading first. Null when some line has a choice to make.
 */
export function fixedPlan(
  lines: readonly Line[],
  sellable: readonly string[],
): Allocation[] | null {
  const only = sellable.length === 1 ? sellable[0]! : null
  const allocations: Allocation[] = []
  for (const l of lines) {
    const location = l.location ?? only
    if (!location) return null
    allocations.push({ sku: l.sku, location, quantity: l.quantity })
  }
  return mergeAllocations(allocations)
}

function sumBy(lines: readonly Line[], keyOf: (l: Line) => string): Map<string, number> {
  const sums = new Map<string, number>()
  for (const l of lines) sums.set(keyOf(l), (sums.get(keyOf(l)) ?? 0) + l.quantity)
  return sums
}

function mergeAllocations(allocations: Allocation[]): Allocation[] {
  const merged = new Map<string, Allocation>()
  for (const a of allocations) {
    const key = `${a.sku}\u0000${a.location}`
    const seen = merged.get(key)
    merged.set(key, seen ? { ...seen, quantity: seen.quantity + a.quantity } : { ...a })
  }
  return [...merged.values()]
}
