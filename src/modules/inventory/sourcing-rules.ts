import type { Shortage } from './stock.js'

export const shippingRules = ['nearest_whole', 'fewest_shipments'] as const
export type ShippingRule = (typeof shippingRules)[number]
export type SourcingRule = 'pickup_store' | 'own_store' | ShippingRule

/** How orders are allocated to locations; stored by the orders module, edited by an admin. */
export type SourcingPolicy = {
  /** The shipping rules tried in turn, for ship and courier orders. */
  rules: readonly ShippingRule[]
  /** Whether an order may leave in more than one parcel. */
  allowSplit: boolean
  /** The most parcels one order may be split into. */
  maxShipments: number
  /** Courier (same-day) orders come only from locations this close to the destination. */
  courierRadiusKm: number
  /** A ship/courier order placed at a store: its own stock first, or never (endless aisle). */
  endlessAisleOwnStock: 'prefer' | 'exclude'
}

export const defaultSourcingPolicy: SourcingPolicy = {
  rules: ['nearest_whole', 'fewest_shipments'],
  allowSplit: true,
  maxShipments: 3,
  courierRadiusKm: 30,
  endlessAisleOwnStock: 'exclude',
}

export type Method = 'ship' | 'courier' | 'pickup' | 'curbside'
export type Candidate = { location: string; distanceKm: number | null }
export type PlannedLine = { sku: string; quantity: number }
export type Shipment = { location: string; distanceKm: number | null; lines: PlannedLine[] }
export type SourcingPlan = { rule: SourcingRule; reason: string; shipments: Shipment[] }

export type SourcingInput = {
  lines: readonly PlannedLine[]
  method: Method
  /** The collection store, for pickup and curbside. */
  pickupAt: string | null
  /** Locations that may ship (capability and channel already checked), with their distance. */
  candidates: readonly Candidate[]
  /** The store the order is placed at, for the endless-aisle rule. */
  ownStore: string | null
  /** Units available now (safety stock deducted), per SKU then location. */
  available: ReadonlyMap<string, ReadonlyMap<string, number>>
  policy: SourcingPolicy
}

export type SourcingDecision =
  ({ ok: true } & SourcingPlan) | { ok: false; reason: string; shortages: Shortage[] }

// Beyond this many location sets the fewest-shipments search is greedy rather than exhaustive.
const searchLimit = 5_000

/**
 * The candidates a method may use: a courier only those known to be within the radius; an
 * order placed at a store excludes that store's own stock unless the policy prefers it.
 * Sorted nearest first (unknown distance last), then by code, so every caller sees one order.
 */
export function eligibleCandidates(
  method: Method,
  candidates: readonly Candidate[],
  ownStore: string | null,
  policy: SourcingPolicy,
): Candidate[] {
  return candidates
    .filter(
      (c) =>
        method !== 'courier' || (c.distanceKm !== null && c.distanceKm <= policy.courierRadiusKm),
    )
    .filter(
      (c) => !(ownStore && c.location === ownStore && policy.endlessAisleOwnStock === 'exclude'),
    )
    .sort(byDistance)
}

/**
 * Decides where an order's lines come from, as a pure function of the facts, so the same facts
 * always give the same plan and every rule can be tested without a database. Pick-up and
 * curbside come whole from the collection store. Ship and courier: the placing store when the
 * policy prefers its own stock and it has everything (`own_store`); then the policy's rules in
 * order — `nearest_whole`: the nearest eligible location that has every line (by stock when the
 * destination is unknown), `fewest_shipments`: the smallest set of locations that covers the
 * order within `maxShipments`, then the shortest total distance. Never allocates more than is
 * available at a location. Refusals name each short line with what is really available.
 */
export function planSourcing(input: SourcingInput): SourcingDecision {
  const lines = mergeLines(input.lines)
  const have = (sku: string, location: string) => input.available.get(sku)?.get(location) ?? 0
  if (input.method === 'pickup' || input.method === 'curbside') {
    const store = input.pickupAt!
    const short = lines.filter((l) => have(l.sku, store) < l.quantity)
    if (short.length > 0)
      return refusal(
        `${store} does not have the whole order`,
        short.map((l) => ({
          sku: l.sku,
          location: store,
          requested: l.quantity,
          available: have(l.sku, store),
        })),
      )
    return plan('pickup_store', `collected at ${store}`, [
      { location: store, distanceKm: null, lines },
    ])
  }
  const eligible = eligibleCandidates(input.method, input.candidates, input.ownStore, input.policy)
  const totals = lines.map((l) => ({
    ...l,
    total: eligible.reduce((n, c) => n + have(l.sku, c.location), 0),
  }))
  const short = totals.filter((l) => l.total < l.quantity)
  if (short.length > 0)
    return refusal(
      eligible.length === 0
        ? 'no location may ship this order'
        : 'the locations that may ship this order are short',
      short.map((l) => ({ sku: l.sku, requested: l.quantity, available: l.total })),
    )
  const hasAll = (c: Candidate) => lines.every((l) => have(l.sku, c.location) >= l.quantity)
  const stockOf = (c: Candidate) => lines.reduce((n, l) => n + have(l.sku, c.location), 0)
  const own = eligible.find((c) => c.location === input.ownStore)
  if (own && input.policy.endlessAisleOwnStock === 'prefer' && hasAll(own))
    return plan('own_store', `sold at ${own.location}, which has the whole order`, [
      { ...own, lines },
    ])
  const located = eligible.some((c) => c.distanceKm !== null)
  for (const rule of input.policy.rules) {
    if (rule === 'nearest_whole') {
      const whole = eligible.filter(hasAll)
      if (whole.length === 0) continue
      const best = located
        ? whole[0]!
        : [...whole].sort((a, b) => stockOf(b) - stockOf(a) || byCode(a, b))[0]!
      const reason = located
        ? `${best.location} is the nearest location that can ship the whole order (${best.distanceKm} km)`
        : `no destination coordinates: ${best.location} has the most stock of the locations that can ship the whole order`
      return plan('nearest_whole', reason, [{ ...best, lines }])
    }
    const max = input.policy.allowSplit ? input.policy.maxShipments : 1
    const set = fewestLocations(lines, eligible, have, max)
    if (!set) continue
    const shipments = allocateOver(lines, set, have)
    const km = shipments.reduce((n, s) => n + (s.distanceKm ?? 0), 0)
    const names = shipments.map((s) => s.location).join(', ')
    const reason =
      shipments.length === 1
        ? `${names} can ship the whole order${located ? ` (${round(km)} km)` : ''}`
        : `no single location can ship the whole order: ${shipments.length} shipments (${names})` +
          (located
            ? `, ${round(km)} km in total`
            : ', ranked by stock (no destination coordinates)')
    return plan('fewest_shipments', reason, shipments)
  }
  // Stock enough overall, but not within the shipments allowed: name what the best allowed set lacks.
  const splits = input.policy.allowSplit && input.policy.rules.includes('fewest_shipments')
  const max = splits ? input.policy.maxShipments : 1
  const best = greedyCover(lines, eligible, have, max, false)
  const at = best.length === 1 ? { location: best[0]!.location } : {}
  return refusal(
    `no plan within ${max} shipment${max === 1 ? '' : 's'} under rules ${input.policy.rules.join(', ')}`,
    lines.flatMap((l) => {
      const got = best.reduce((n, c) => n + have(l.sku, c.location), 0)
      return got >= l.quantity ? [] : [{ sku: l.sku, ...at, requested: l.quantity, available: got }]
    }),
  )
}

/**
 * The smallest set of candidates (at most `max`) whose stock covers every line, preferring the
 * shortest total distance, then the most stock, then codes; exhaustive while the number of sets
 * stays small, greedy beyond. Null when no set of at most `max` locations covers the order.
 */
function fewestLocations(
  lines: readonly PlannedLine[],
  eligible: readonly Candidate[],
  have: (sku: string, location: string) => number,
  max: number,
): Candidate[] | null {
  const useful = eligible.filter((c) => lines.some((l) => have(l.sku, c.location) > 0))
  // Per candidate, what it can give of each line (capped at the line), read once.
  const gives = useful.map((c) => lines.map((l) => Math.min(l.quantity, have(l.sku, c.location))))
  const km = useful.map((c) => c.distanceKm ?? 0)
  const units = gives.map((g) => g.reduce((n, q) => n + q, 0))
  const covers = (set: readonly number[]) =>
    lines.every((l, j) => {
      let sum = 0
      for (const i of set) sum += gives[i]![j]!
      return sum >= l.quantity
    })
  const sum = (values: readonly number[], set: readonly number[]) =>
    set.reduce((n, i) => n + values[i]!, 0)
  for (let k = 1; k <= Math.min(max, useful.length); k++) {
    if (binomial(useful.length, k) > searchLimit) return greedyCover(lines, useful, have, max)
    let best = null as number[] | null
    forEachCombination(useful.length, k, (set) => {
      if (!covers(set)) return
      if (
        !best ||
        sum(km, set) < sum(km, best) ||
        (sum(km, set) === sum(km, best) && sum(units, set) > sum(units, best))
      )
        best = [...set]
    })
    if (best) return best.map((i) => useful[i]!)
  }
  return null
}

/**
 * Up to `max` locations chosen one at a time for the most units still needed (nearest first on
 * ties). With `complete`, null unless they cover the order; without, the best partial set.
 */
function greedyCover(
  lines: readonly PlannedLine[],
  useful: readonly Candidate[],
  have: (sku: string, location: string) => number,
  max: number,
  complete: false,
): Candidate[]
function greedyCover(
  lines: readonly PlannedLine[],
  useful: readonly Candidate[],
  have: (sku: string, location: string) => number,
  max: number,
  complete?: true,
): Candidate[] | null
function greedyCover(
  lines: readonly PlannedLine[],
  useful: readonly Candidate[],
  have: (sku: string, location: string) => number,
  max: number,
  complete = true,
): Candidate[] | null {
  const needed = new Map(lines.map((l) => [l.sku, l.quantity]))
  const chosen: Candidate[] = []
  const gain = (c: Candidate) =>
    lines.reduce((n, l) => n + Math.min(needed.get(l.sku)!, have(l.sku, c.location)), 0)
  while (chosen.length < max && [...needed.values()].some((q) => q > 0)) {
    const next = useful
      .filter((c) => !chosen.includes(c))
      .sort((a, b) => gain(b) - gain(a) || byDistance(a, b))[0]
    if (!next || gain(next) === 0) break
    chosen.push(next)
    for (const l of lines)
      needed.set(l.sku, Math.max(0, needed.get(l.sku)! - have(l.sku, next.location)))
  }
  const covered = [...needed.values()].every((q) => q === 0)
  return complete && !covered ? null : chosen.sort(byDistance)
}

/** Each line from the set's locations nearest first; locations given nothing are dropped. */
function allocateOver(
  lines: readonly PlannedLine[],
  set: readonly Candidate[],
  have: (sku: string, location: string) => number,
): Shipment[] {
  const shipments = [...set].sort(byDistance).map((c) => ({ ...c, lines: [] as PlannedLine[] }))
  for (const l of lines) {
    let needed = l.quantity
    for (const s of shipments) {
      const part = Math.min(needed, have(l.sku, s.location))
      if (part > 0) s.lines.push({ sku: l.sku, quantity: part })
      needed -= part
    }
  }
  return shipments.filter((s) => s.lines.length > 0)
}

/**
 * Visits every index set of size k over 0…n-1 in lexicographic order (so ties keep the sorted
 * order), reusing one array: the visitor copies what it keeps.
 */
function forEachCombination(n: number, k: number, visit: (set: readonly number[]) => void) {
  const set = Array.from({ length: k }, (_, i) => i)
  for (;;) {
    visit(set)
    let i = k - 1
    while (i >= 0 && set[i] === n - k + i) i--
    if (i < 0) return
    set[i]!++
    for (let j = i + 1; j < k; j++) set[j] = set[j - 1]! + 1
  }
}

function binomial(n: number, k: number): number {
  let r = 1
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i
  return r
}

function byCode(a: Candidate, b: Candidate) {
  return a.location < b.location ? -1 : a.location > b.location ? 1 : 0
}

function byDistance(a: Candidate, b: Candidate) {
  if (a.distanceKm !== b.distanceKm) {
    if (a.distanceKm === null) return 1
    if (b.distanceKm === null) return -1
    return a.distanceKm - b.distanceKm
  }
  return byCode(a, b)
}

function round(km: number) {
  return Math.round(km * 10) / 10
}

function mergeLines(lines: readonly PlannedLine[]): PlannedLine[] {
  const sums = new Map<string, number>()
  for (const l of lines) sums.set(l.sku, (sums.get(l.sku) ?? 0) + l.quantity)
  return [...sums]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([sku, quantity]) => ({ sku, quantity }))
}

function plan(rule: SourcingRule, reason: string, shipments: Shipment[]): SourcingDecision {
  return { ok: true, rule, reason, shipments }
}

function refusal(reason: string, shortages: Shortage[]): SourcingDecision {
  return { ok: false, reason, shortages }
}
