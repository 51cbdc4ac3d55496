import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { distanceKm } from './geo.js'
import {
  defaultSourcingPolicy,
  planSourcing,
  type Candidate,
  type SourcingInput,
  type SourcingPolicy,
} from './sourcing-rules.js'

function stock(rows: Record<string, Record<string, number>>) {
  return new Map(Object.entries(rows).map(([sku, at]) => [sku, new Map(Object.entries(at))]))
}

const near: Candidate[] = [
  { location: 'far', distanceKm: 300 },
  { location: 'mid', distanceKm: 40 },
  { location: 'close', distanceKm: 2 },
]

function ship(
  lines: SourcingInput['lines'],
  available: SourcingInput['available'],
  overrides: Partial<SourcingInput> = {},
): SourcingInput {
  return {
    lines,
    method: 'ship',
    pickupAt: null,
    candidates: near,
    ownStore: null,
    available,
    policy: defaultSourcingPolicy,
    ...overrides,
  }
}

describe('distanceKm', () => {
  it('measures Athens to Thessaloniki as the crow flies', () => {
    const km = distanceKm({ lat: 37.9838, lng: 23.7275 }, { lat: 40.6401, lng: 22.9444 })
    expect(km).toBeGreaterThan(295)
    expect(km).toBeLessThan(310)
    expect(distanceKm({ lat: 1, lng: 2 }, { lat: 1, lng: 2 })).toBe(0)
  })
})

describe('planSourcing', () => {
  it('ships the whole order from the nearest location that has all of it', () => {
    const plan = planSourcing(
      ship(
        [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
        stock({
          A: { far: 9, mid: 9, close: 1 },
          B: { far: 9, mid: 9, close: 9 },
        }),
      ),
    )
    expect(plan).toMatchObject({
      ok: true,
      rule: 'nearest_whole',
      shipments: [
        {
          location: 'mid',
          distanceKm: 40,
          lines: [
            { sku: 'A', quantity: 2 },
            { sku: 'B', quantity: 1 },
          ],
        },
      ],
    })
    expect(plan.ok && plan.reason).toContain(
      'mid is the nearest location that can ship the whole order (40 km)',
    )
  })

  it('ranks by stock and says so when the destination is unknown', () => {
    const unknown = near.map((c) => ({ ...c, distanceKm: null }))
    const plan = planSourcing(
      ship([{ sku: 'A', quantity: 1 }], stock({ A: { far: 3, mid: 7, close: 5 } }), {
        candidates: unknown,
      }),
    )
    expect(plan).toMatchObject({
      ok: true,
      rule: 'nearest_whole',
      shipments: [{ location: 'mid', distanceKm: null }],
    })
    expect(plan.ok && plan.reason).toMatch(/^no destination coordinates/)
  })

  it('splits into the fewest shipments, then the shortest total distance', () => {
    const plan = planSourcing(
      ship(
        [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 2 },
        ],
        stock({
          A: { far: 0, mid: 2, close: 2 },
          B: { far: 2, mid: 1, close: 0 },
        }),
      ),
    )
    // {close, far} (302 km) and {mid, far} (340 km) cover it in two; {close, mid} does not.
    expect(plan).toMatchObject({
      ok: true,
      rule: 'fewest_shipments',
      shipments: [
        { location: 'close', lines: [{ sku: 'A', quantity: 2 }] },
        { location: 'far', lines: [{ sku: 'B', quantity: 2 }] },
      ],
    })
  })

  it('refuses a split the policy forbids, naming what one location lacks', () => {
    const policy: SourcingPolicy = { ...defaultSourcingPolicy, allowSplit: false }
    const plan = planSourcing(
      ship(
        [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 2 },
        ],
        stock({ A: { close: 2 }, B: { far: 2 } }),
        {
          policy,
        },
      ),
    )
    expect(plan).toMatchObject({ ok: false, reason: expect.stringContaining('within 1 shipment') })
  })

  it('collects pick-up and curbside orders at their store or nowhere', () => {
    const available = stock({ A: { close: 1, far: 9 } })
    expect(
      planSourcing(
        ship([{ sku: 'A', quantity: 1 }], available, { method: 'curbside', pickupAt: 'close' }),
      ),
    ).toMatchObject({ ok: true, rule: 'pickup_store', shipments: [{ location: 'close' }] })
    expect(
      planSourcing(
        ship([{ sku: 'A', quantity: 2 }], available, { method: 'pickup', pickupAt: 'close' }),
      ),
    ).toMatchObject({
      ok: false,
      shortages: [{ sku: 'A', location: 'close', requested: 2, available: 1 }],
    })
  })

  it('sends a courier only from within the radius', () => {
    const available = stock({ A: { far: 9, mid: 9 } })
    const wide = { ...defaultSourcingPolicy, courierRadiusKm: 50 }
    expect(
      planSourcing(
        ship([{ sku: 'A', quantity: 1 }], available, { method: 'courier', policy: wide }),
      ),
    ).toMatchObject({
      ok: true,
      shipments: [{ location: 'mid' }],
    })
    const tight = { ...defaultSourcingPolicy, courierRadiusKm: 10 }
    expect(
      planSourcing(
        ship([{ sku: 'A', quantity: 1 }], available, { method: 'courier', policy: tight }),
      ),
    ).toMatchObject({ ok: false, shortages: [{ sku: 'A', requested: 1, available: 0 }] })
  })

  it("excludes or prefers the placing store's own stock for endless aisle", () => {
    const available = stock({ A: { close: 5, mid: 5 } })
    const atClose = { ownStore: 'close' }
    expect(planSourcing(ship([{ sku: 'A', quantity: 1 }], available, atClose))).toMatchObject({
      ok: true,
      shipments: [{ location: 'mid' }],
    })
    const prefer = { ...defaultSourcingPolicy, endlessAisleOwnStock: 'prefer' as const }
    expect(
      planSourcing(ship([{ sku: 'A', quantity: 1 }], available, { ...atClose, policy: prefer })),
    ).toMatchObject({ ok: true, rule: 'own_store', shipments: [{ location: 'close' }] })
  })
})

const codes = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5']
const skus = ['A', 'B', 'C']

const facts = fc.record({
  lines: fc.uniqueArray(
    fc.record({ sku: fc.constantFrom(...skus), quantity: fc.integer({ min: 1, max: 6 }) }),
    { minLength: 1, maxLength: 3, selector: (l) => l.sku },
  ),
  candidates: fc.uniqueArray(
    fc.record({
      location: fc.constantFrom(...codes),
      distanceKm: fc.option(fc.integer({ min: 0, max: 500 }), { nil: null }),
    }),
    { maxLength: codes.length, selector: (c) => c.location },
  ),
  stock: fc.dictionary(
    fc.constantFrom(...skus),
    fc.dictionary(fc.constantFrom(...codes), fc.integer({ min: 0, max: 8 })),
  ),
  method: fc.constantFrom('ship' as const, 'courier' as const),
  allowSplit: fc.boolean(),
  maxShipments: fc.integer({ min: 1, max: 4 }),
  rules: fc.constantFrom(
    ['nearest_whole', 'fewest_shipments'] as const,
    ['fewest_shipments', 'nearest_whole'] as const,
    ['nearest_whole'] as const,
  ),
})

type Facts = typeof facts extends fc.Arbitrary<infer T> ? T : never

function inputOf(f: Facts): SourcingInput {
  return ship(f.lines, stock(f.stock), {
    candidates: f.candidates,
    method: f.method,
    policy: {
      ...defaultSourcingPolicy,
      allowSplit: f.allowSplit,
      maxShipments: f.maxShipments,
      rules: f.rules,
      courierRadiusKm: 100,
    },
  })
}

describe('planSourcing properties', () => {
  it('never allocates more than a location has, and serves exactly what was asked', () =>
    fc.assert(
      fc.property(facts, (f) => {
        const input = inputOf(f)
        const plan = planSourcing(input)
        if (!plan.ok) return
        const used = new Map<string, number>()
        for (const s of plan.shipments) {
          expect(input.candidates.map((c) => c.location)).toContain(s.location)
          for (const l of s.lines) {
            expect(l.quantity).toBeGreaterThan(0)
            const key = `${l.sku}@${s.location}`
            used.set(key, (used.get(key) ?? 0) + l.quantity)
            expect(used.get(key)).toBeLessThanOrEqual(
              input.available.get(l.sku)?.get(s.location) ?? 0,
            )
          }
        }
        for (const l of f.lines) {
          const served = plan.shipments.flatMap((s) => s.lines).filter((x) => x.sku === l.sku)
          expect(served.reduce((n, x) => n + x.quantity, 0)).toBe(l.quantity)
        }
        expect(plan.shipments.length).toBeLessThanOrEqual(f.allowSplit ? f.maxShipments : 1)
        if (f.method === 'courier')
          for (const s of plan.shipments) expect(s.distanceKm).not.toBeNull()
      }),
      { numRuns: 500 },
    ))

  it('prefers a whole-order plan whenever one location can serve everything', () =>
    fc.assert(
      fc.property(facts, (f) => {
        const input = inputOf(f)
        const plan = planSourcing(input)
        const whole = input.candidates.some(
          (c) =>
            (f.method !== 'courier' || (c.distanceKm !== null && c.distanceKm <= 100)) &&
            f.lines.every((l) => (input.available.get(l.sku)?.get(c.location) ?? 0) >= l.quantity),
        )
        if (whole) {
          expect(plan.ok).toBe(true)
          if (plan.ok) expect(plan.shipments).toHaveLength(1)
        }
        if (!plan.ok) expect(plan.shortages.length).toBeGreaterThan(0)
      }),
      { numRuns: 500 },
    ))

  it('gives the same plan for the same facts, whatever order they come in', () =>
    fc.assert(
      fc.property(facts, (f) => {
        const input = inputOf(f)
        const shuffled = {
          ...input,
          candidates: [...input.candidates].reverse(),
          lines: [...input.lines].reverse(),
        }
        expect(planSourcing(shuffled)).toEqual(planSourcing(input))
      }),
      { numRuns: 300 },
    ))
})
