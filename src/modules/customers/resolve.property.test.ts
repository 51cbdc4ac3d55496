import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { normaliseIdentity, type RawIdentity } from './identities.js'
import { findByIdentity, resolveCustomer, type Resolution } from './service.js'
import { identityOwners, profileCount } from './testing.js'

// Six people's worth of identities, each typed in two ways that normalise to one value.
const pool: RawIdentity[][] = [
  [{ kind: 'email', value: 'maria@example.gr' }, { kind: 'email', value: ' MARIA@Example.GR' }],
  [{ kind: 'phone', value: '6912345678' }, { kind: 'phone', value: '+30 691 234 5678' }],
  [{ kind: 'phone', value: '0912 345 6789', region: 'IR' }, { kind: 'phone', value: '+989123456789' }],
  [{ kind: 'instagram', value: '@Maria.K' }, { kind: 'instagram', value: 'maria.k' }],
  [{ kind: 'anonymous_id', value: 'anon-1' }, { kind: 'anonymous_id', value: ' anon-1 ' }],
  [{ kind: 'loyalty_card', value: 'L-100' }, { kind: 'loyalty_card', value: 'L-100' }],
]
const keyOf = (raw: RawIdentity) => {
  const outcome = normaliseIdentity(raw, 'GR')
  if (!('value' in outcome)) throw new Error(`pool entry ${raw.value} does not normalise`)
  return `${raw.kind}:${outcome.value}`
}

const request = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: pool.length - 1 }), fc.integer({ min: 0, max: 1 })), {
  minLength: 1,
  maxLength: 3,
  selector: ([person]) => person,
}).map((picks) => picks.map(([person, spelling]) => pool[person]![spelling]!))

/** The contract of resolveCustomer, as plain data: who owns what after each request. */
function model(owner: Map<string, number>, next: { id: number }, identities: RawIdentity[]) {
  const keys = identities.map(keyOf)
  const first = keys.find((k) => owner.has(k))
  const target = first ? owner.get(first)! : next.id++
  const conflicts = keys.filter((k) => owner.has(k) && owner.get(k) !== target)
  for (const k of keys) if (!owner.has(k)) owner.set(k, target)
  return { target, created: !first, conflicts }
}

async function checkStore(t: TestApp, results: Resolution[]) {
  const owners = await identityOwners(t.db)
  // Every identity any call resolved is findable, and finds the profile that owns it.
  for (const r of results) {
    for (const i of [...r.customer.identities, ...r.conflicts]) {
      const found = await inTransaction(t.db, (tx) => findByIdentity(tx, i.kind, i.value))
      expect(found?.id).toBe(owners.find((o) => `${o.kind}:${o.value}` === `${i.kind}:${i.value}`)!.profile_id)
    }
  }
  // No profile is left without an identity (the losing side of a race is dropped, not kept).
  expect(await profileCount(t.db)).toBe(new Set(owners.map((o) => o.profile_id)).size)
  // At most one primary per kind per profile.
  const primaries = owners.filter((o) => o.is_primary).map((o) => `${o.profile_id}:${o.kind}`)
  expect(new Set(primaries).size).toBe(primaries.length)
}

describe.each(engines)('resolving over a small pool of identities on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 8 })
  })
  afterAll(() => t.close())

  const resolve = (identities: RawIdentity[]) => inTransaction(t.db, (tx) => resolveCustomer(tx, t.clock, { identities }))

  it('assigns each identity to one profile exactly as the contract says, one request after another', () =>
    fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 8 }), async (requests) => {
        await t.reset()
        const owner = new Map<string, number>()
        const next = { id: 0 }
        const ids = new Map<number, string>()
        const results: Resolution[] = []
        for (const identities of requests) {
          const expected = model(owner, next, identities)
          const r = await resolve(identities)
          results.push(r)
          expect(r.created).toBe(expected.created)
          if (!ids.has(expected.target)) ids.set(expected.target, r.customer.id)
          expect(r.customer.id).toBe(ids.get(expected.target))
          expect(r.conflicts.map((c) => `${c.kind}:${c.value}`)).toEqual(expected.conflicts)
        }
        const stored = await identityOwners(t.db)
        expect(Object.fromEntries(stored.map((o) => [`${o.kind}:${o.value}`, o.profile_id]))).toEqual(
          Object.fromEntries([...owner].map(([k, p]) => [k, ids.get(p)])),
        )
        await checkStore(t, results)
      }),
      { numRuns: 25 },
    ))

  it('keeps one owner per identity and leaves nothing behind when requests race', () =>
    fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 2, maxLength: 10 }), async (requests) => {
        await t.reset()
        const results = await Promise.all(requests.map(resolve))
        results.forEach((r, n) => {
          const mine = new Set(r.customer.identities.map((i) => `${i.kind}:${i.value}`))
          const reported = new Set(r.conflicts.map((c) => `${c.kind}:${c.value}`))
          // Each identity given ended on the answered profile or was reported as another's.
          for (const k of requests[n]!.map(keyOf)) expect(mine.has(k) || reported.has(k), k).toBe(true)
          for (const c of r.conflicts) expect(c.profileId).not.toBe(r.customer.id)
        })
        await checkStore(t, results)
      }),
      { numRuns: 20 },
    ))
})
