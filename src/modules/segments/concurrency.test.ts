import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { createSegmentVia, members, ok } from './testing.js'

describe.each(engines)('segment membership under concurrency on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 12 })
  })
  afterAll(() => t.close())

  it('keeps members and their entered/exited events consistent while recomputes race the subscriber', async () => {
    await t.reset()
    const segment = await createSegmentVia(t, { type: 'behaviour', event: 'product_viewed', atLeast: 2 })
    const people = Array.from({ length: 24 }, (_, i) => `cus_c${String(i).padStart(2, '0')}`)
    const views = (profileId: string, n: number) =>
      inTransaction(t.db, (tx) =>
        appendEvents(tx, t.clock, Array.from({ length: n }, () => ({ name: 'product_viewed', payload: { customerId: profileId }, channel: 'app', profileId }))),
      )
    await Promise.all([
      ...people.map((p, i) => views(p, 1 + (i % 3))),
      ...Array.from({ length: 4 }, () => ok(t.call('POST', `/v1/segments/${segment}/recompute`))),
      t.dispatcher.drain(),
      t.dispatcher.drain(),
    ])
    await t.dispatcher.drain()
    expect(await ok(t.call('POST', `/v1/segments/${segment}/recompute`))).toMatchObject({ entered: 0, exited: 0 })
    const expected = people.filter((_, i) => 1 + (i % 3) >= 2)
    expect(await members(t, segment)).toEqual(expected)
    // Each member entered exactly once; nobody left (views only add up).
    const events = await sql<{ name: string; profile_id: string }>`
      select name, profile_id from kernel.outbox where name like 'segment.%' order by profile_id, id`.execute(t.db)
    expect(events.rows.map((e) => `${e.name} ${e.profile_id}`)).toEqual(expected.map((p) => `segment.entered ${p}`))
    const view = await ok(t.call('GET', `/v1/segments/${segment}`))
    expect(view.memberCount).toBe(expected.length)
  })
})
