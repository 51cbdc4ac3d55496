import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { refreshTimeWindows } from './index.js'
import { createSegmentVia, ok } from './testing.js'

const hour = 3_600_000
const people = ['cus_p1', 'cus_p2', 'cus_p3', 'cus_p4']

type Step =
  | { kind: 'fact'; who: number; name: 'product_viewed' | 'order.placed'; channel: 'app' | 'web'; amount: number; hours: number }
  | { kind: 'deliver' }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    kind: fc.constant('fact' as const),
    who: fc.integer({ min: 0, max: people.length - 1 }),
    name: fc.constantFrom('product_viewed' as const, 'order.placed' as const),
    channel: fc.constantFrom('app' as const, 'web' as const),
    amount: fc.integer({ min: 100, max: 2000 }),
    hours: fc.integer({ min: 0, max: 30 }),
  }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deliver' as const }) },
)

const rules = (ids: string[]) => [
  { type: 'and', rules: [
    { type: 'behaviour', event: 'product_viewed', channel: 'app', atLeast: 2, withinDays: 3 },
    { type: 'not', rule: { type: 'behaviour', event: 'order.placed', withinDays: 3 } },
  ] },
  { type: 'trait', name: 'orderCount', op: 'gte', value: 2 },
  { type: 'or', rules: [
    { type: 'behaviour', event: 'product_viewed', channel: 'web', atLeast: 3 },
    { type: 'trait', name: 'lifetimeValue', op: 'gt', value: 1500 },
  ] },
  ...(ids.length >= 3 ? [{ type: 'and', rules: [{ type: 'segment', segmentId: ids[1] }, { type: 'not', rule: { type: 'segment', segmentId: ids[2] } }] }] : []),
]

describe.each(engines)('incremental membership on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())

  it('ends where a full recompute would, whatever the facts and delivery points', () =>
    fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        await t.reset()
        t.clock.set('2026-03-01T00:00:00Z')
        const ids: string[] = []
        for (let i = 0; i < 4; i++) ids.push(await createSegmentVia(t, rules(ids)[i] ?? { type: 'not', rule: { type: 'behaviour', event: 'product_viewed' } }))
        ids.push(await createSegmentVia(t, { type: 'not', rule: { type: 'behaviour', event: 'product_viewed' } }))
        let day = t.clock.now().toISOString().slice(0, 10)
        // What the server does: the dispatcher delivers facts, and the daily task runs once the day turns.
        const deliver = async () => {
          await t.dispatcher.drain()
          const today = t.clock.now().toISOString().slice(0, 10)
          if (today !== day) await refreshTimeWindows(t.db, t.clock)
          day = today
        }
        for (const s of steps) {
          if (s.kind === 'deliver') {
            await deliver()
            continue
          }
          t.clock.advance(s.hours * hour)
          const profileId = people[s.who]!
          await inTransaction(t.db, (tx) =>
            appendEvents(tx, t.clock, [{ name: s.name, payload: { customerId: profileId, total: { amount: s.amount, currency: 'EUR' } }, channel: s.channel, profileId }]),
          )
        }
        await deliver()
        for (const id of ids) {
          expect(await ok(t.call('POST', `/v1/segments/${id}/recompute`)), id).toMatchObject({ entered: 0, exited: 0 })
        }
      }),
      { numRuns: 12 },
    ))
})
