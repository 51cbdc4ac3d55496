import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { profileCount } from '../customers/testing.js'
import { processPendingEvents } from './index.js'
import { basicAuth, storedEvents } from './testing.js'

describe.each(engines)('event processing on %s', (engine) => {
  let t: TestApp
  let web: string
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 8 })
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    web = await t.touchpointKey('web', 'web-shop')
  })

  it('processes each event exactly once when several workers run at the same time', async () => {
    const batch = Array.from({ length: 60 }, (_, i) => ({ type: 'track', anonymousId: `a-${i % 12}`, event: 'Viewed', messageId: `m-${i}` }))
    const res = await t.call('POST', '/v1/batch', { batch }, { key: null, headers: basicAuth(web) })
    expect(res.statusCode).toBe(200)
    const counts = await Promise.all([1, 2, 3, 4].map(() => processPendingEvents(t.db, t.clock)))
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60)
    const events = await storedEvents(t.db)
    expect(events.every((e) => e.processed_at !== null && e.profile_id !== null)).toBe(true)
    // One profile per anonymous id, however the workers split the rows.
    expect(await profileCount(t.db)).toBe(12)
    const facts = await sql<{ name: string; payload: { messageId: string; profileId: string }; channel: string }>`
      select name, payload, channel from kernel.outbox where name = 'event.processed' order by id`.execute(t.db)
    expect(facts.rows).toHaveLength(60)
    expect(new Set(facts.rows.map((f) => f.payload.messageId)).size).toBe(60)
    const byMessage = new Map(events.map((e) => [e.message_id, e.profile_id]))
    for (const f of facts.rows) {
      expect(f.channel).toBe('web-shop')
      expect(f.payload.profileId).toBe(byMessage.get(f.payload.messageId))
    }
  })

  it('processes an event with no usable identity without a profile, and never stalls on it', async () => {
    await t.call('POST', '/v1/identify', { userId: 'has spaces in it', traits: { email: 'not-an-email' } }, { key: null, headers: basicAuth(web) })
    await t.call('POST', '/v1/track', { anonymousId: 'a-1', event: 'After' }, { key: null, headers: basicAuth(web) })
    expect(await processPendingEvents(t.db, t.clock)).toBe(2)
    const [identify, track] = await storedEvents(t.db)
    expect(identify).toMatchObject({ profile_id: null })
    expect(identify!.processed_at).not.toBeNull()
    expect(track!.profile_id).toMatch(/^cus_/)
  })
})
