import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../db/index.js'
import { appendEvents } from './append.js'

describe.each(engines)('outbox consumers backlog on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    await t.dispatcher.drain()
  })

  const lag = async (key?: string) => {
    const r = await t.call('GET', '/v1/outbox/consumers', undefined, key ? { key } : {})
    expect(r.statusCode, r.body).toBe(200)
    return r.json().data as { consumer: string; pending: number; pendingCapped: boolean; oldestPendingAt: string | null; lagSeconds: number }[]
  }

  it('shows each consumer behind by the events after its checkpoint, and caught up after delivery', async () => {
    const idle = await lag()
    expect(idle.length).toBeGreaterThan(3)
    expect(idle.every((c) => c.pending === 0 && c.lagSeconds === 0 && c.oldestPendingAt === null)).toBe(true)

    const first = t.clock.now().toISOString()
    await inTransaction(t.db, (tx) =>
      appendEvents(tx, t.clock, [
        { name: 'test.happened', payload: { n: 1 }, channel: null, profileId: null },
        { name: 'test.happened', payload: { n: 2 }, channel: null, profileId: null },
      ]),
    )
    t.clock.advance(5_000)
    const behind = await lag()
    expect(behind.map((c) => c.consumer)).toEqual(idle.map((c) => c.consumer))
    for (const c of behind) expect(c).toMatchObject({ pending: 2, pendingCapped: false, oldestPendingAt: first, lagSeconds: 5 })

    await t.dispatcher.drain()
    expect((await lag()).every((c) => c.pending === 0 && c.lagSeconds === 0)).toBe(true)
  })

  it('is for staff who watch operations: analysts yes, clerks and touchpoints no', async () => {
    expect((await lag(await t.staffKey('analyst'))).length).toBeGreaterThan(0)
    expect((await t.call('GET', '/v1/outbox/consumers', undefined, { key: await t.staffKey('clerk', 'ath-1') })).statusCode).toBe(403)
  })
})
