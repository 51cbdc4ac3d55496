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

  it('creates first-time visitors together, and leaves a visitor who signs up in the same batch to merging', async () => {
    const batch = [
      { type: 'page', anonymousId: 'new-1', name: 'Home', messageId: 'p-1' },
      { type: 'track', anonymousId: 'new-1', event: 'Viewed', messageId: 'p-2' },
      { type: 'page', anonymousId: 'new-2', name: 'Home', messageId: 'p-3' },
      { type: 'page', anonymousId: 'joins', name: 'Home', messageId: 'p-4' },
      { type: 'identify', anonymousId: 'joins', userId: 'u-9', traits: { email: 'Nia@Example.com' }, messageId: 'p-5' },
      { type: 'track', userId: 'u-9', event: 'Viewed', messageId: 'p-6' },
    ]
    expect((await t.call('POST', '/v1/batch', { batch }, { key: null, headers: basicAuth(web) })).statusCode).toBe(200)
    expect(await processPendingEvents(t.db, t.clock)).toBe(6)
    const owner = new Map((await storedEvents(t.db)).map((e) => [e.message_id, e.profile_id]))
    expect(owner.get('p-2')).toBe(owner.get('p-1'))
    expect(owner.get('p-5')).toBe(owner.get('p-4'))
    expect(owner.get('p-6')).toBe(owner.get('p-4'))
    expect(new Set(owner.values()).size).toBe(3)
    expect(await profileCount(t.db)).toBe(3)
    const joined = (await t.call('GET', `/v1/customers/${owner.get('p-4')}`)).json()
    expect(joined.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`).sort()).toEqual([
      'anonymous_id:joins',
      'email:nia@example.com',
      'user_id:u-9',
    ])
    const fresh = (await t.call('GET', `/v1/customers/${owner.get('p-1')}`)).json()
    expect(fresh).toMatchObject({ identities: [{ kind: 'anonymous_id', value: 'new-1', isPrimary: true }] })
    const facts = await sql<{ name: string; profile_id: string; channel: string }>`
      select name, profile_id, channel from kernel.outbox where name like 'customer.%' order by id`.execute(t.db)
    const created = facts.rows.filter((f) => f.name === 'customer.created')
    expect(created.map((f) => f.profile_id).sort()).toEqual([...new Set(owner.values())].sort())
    expect(created.every((f) => f.channel === 'web-shop')).toBe(true)
    expect(facts.rows.filter((f) => f.name === 'customer.identity_added')).toHaveLength(5)
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
