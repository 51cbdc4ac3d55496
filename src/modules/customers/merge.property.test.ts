import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import type { RawIdentity } from './identities.js'
import { resolveAndMerge } from './merge-resolve.js'
import { customerEvents, identityOwners } from './testing.js'

// A small pool of kinds that merge (no user_id: two of those would be refused by design).
const pool: RawIdentity[] = [
  { kind: 'email', value: 'a@example.gr' },
  { kind: 'email', value: 'b@example.gr' },
  { kind: 'phone', value: '+306912345678' },
  { kind: 'phone', value: '+306912345679' },
  { kind: 'anonymous_id', value: 'anon-1' },
  { kind: 'anonymous_id', value: 'anon-2' },
  { kind: 'loyalty_card', value: 'L-1' },
]
const keyOf = (i: RawIdentity) => `${i.kind}:${i.value}`

const request = fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 3 }).map((picks) => picks.map((p) => pool[p]!))

/** The partition the requests imply: identities named together are one person (connected components). */
function expectedPartition(requests: RawIdentity[][]): string[][] {
  const parent = new Map<string, string>()
  const find = (k: string): string => (parent.get(k) === k ? k : find(parent.get(k)!))
  for (const r of requests) for (const i of r) if (!parent.has(keyOf(i))) parent.set(keyOf(i), keyOf(i))
  for (const r of requests) for (const i of r.slice(1)) parent.set(find(keyOf(i)), find(keyOf(r[0]!)))
  const groups = new Map<string, string[]>()
  for (const k of parent.keys()) groups.set(find(k), [...(groups.get(find(k)) ?? []), k])
  return normalise([...groups.values()])
}

const normalise = (sets: string[][]) => sets.map((s) => [...s].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!))

async function storedPartition(t: TestApp): Promise<string[][]> {
  const groups = new Map<string, string[]>()
  for (const o of await identityOwners(t.db)) groups.set(o.profile_id, [...(groups.get(o.profile_id) ?? []), `${o.kind}:${o.value}`])
  return normalise([...groups.values()])
}

async function expectConserved(t: TestApp, requests: RawIdentity[][]) {
  const distinct = new Set(requests.flat().map(keyOf))
  const owners = await identityOwners(t.db)
  expect(owners).toHaveLength(distinct.size)
  // Every identity is on a surviving profile, and was announced exactly once.
  const merged = await sql<{ id: string }>`select id from customers.profile where merged_into is not null`.execute(t.db)
  const gone = new Set(merged.rows.map((r) => r.id))
  expect(owners.filter((o) => gone.has(o.profile_id))).toEqual([])
  const added = (await customerEvents(t.db)).filter((e) => e.name === 'customer.identity_added')
  expect(added).toHaveLength(distinct.size)
}

describe.each(engines)('identity resolution by merging on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 8 })
  })
  afterAll(() => t.close())

  const resolve = (identities: RawIdentity[]) => inTransaction(t.db, (tx) => resolveAndMerge(tx, t.clock, { identities }))

  it('ends in the same partition of identities into people whatever order the resolves come in', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 7 }).chain((requests) => fc.tuple(fc.constant(requests), fc.shuffledSubarray(requests, { minLength: requests.length }))),
        async ([requests, shuffled]) => {
          const expected = expectedPartition(requests)
          for (const order of [requests, shuffled]) {
            await t.reset()
            for (const identities of order) {
              t.clock.advance(1000)
              await resolve(identities)
            }
            expect(await storedPartition(t)).toEqual(expected)
            await expectConserved(t, order)
          }
        },
      ),
      { numRuns: 15 },
    ))

  it('ends in the same partition when the resolves race', () =>
    fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 2, maxLength: 8 }), async (requests) => {
        await t.reset()
        await Promise.all(requests.map(resolve))
        expect(await storedPartition(t)).toEqual(expectedPartition(requests))
        await expectConserved(t, requests)
      }),
      { numRuns: 15 },
    ))

  it('leaves exactly one survivor when concurrent resolves must merge the same two profiles', async () => {
    await t.reset()
    const a = await resolve([{ kind: 'email', value: 'a@example.gr' }])
    t.clock.advance(1000)
    const b = await resolve([{ kind: 'phone', value: '+306912345678' }])
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => resolve(i % 2 ? [pool[0]!, pool[2]!] : [pool[2]!, pool[0]!])),
    )
    expect(new Set(results.map((r) => r.customer.id))).toEqual(new Set([a.customer.id]))
    expect(results.flatMap((r) => r.merged)).toEqual([b.customer.id])
    const merges = (await customerEvents(t.db)).filter((e) => e.name === 'customer.merged')
    expect(merges.map((e) => e.payload)).toEqual([{ survivorId: a.customer.id, loserId: b.customer.id, reason: 'shared-identity' }])
  })
})
