import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { identityOwners } from '../customers/testing.js'
import { processPendingEvents } from './index.js'
import { basicAuth, eventCount, storedEvents } from './testing.js'

describe.each(engines)('Segment-compatible ingestion on %s', (engine) => {
  let t: TestApp
  let web: string
  const send = (path: string, body: unknown, key = web) => t.call('POST', path, body, { key: null, headers: basicAuth(key) })
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 8 })
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    web = await t.touchpointKey('web', 'web-shop')
  })

  it('stores a track call sent with the write key as Basic user name and answers success', async () => {
    const res = await send('/v1/track', { anonymousId: 'a-1', event: 'Product Viewed', properties: { sku: 'TS-1' }, messageId: 'm-1' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ success: true })
    const [stored] = await storedEvents(t.db)
    expect(stored).toMatchObject({ message_id: 'm-1', type: 'track', event: 'Product Viewed', anonymous_id: 'a-1', channel: 'web-shop', properties: { sku: 'TS-1' }, processed_at: null, profile_id: null })
    // Without a timestamp the event happened when it arrived.
    expect(stored!.timestamp.toISOString()).toBe('2026-03-01T10:00:00.000Z')
  })

  it('stores a re-sent batch once: messageId deduplicates per touchpoint', async () => {
    const batch = {
      batch: [
        { type: 'identify', userId: 'u-1', traits: { email: 'maria@example.com' }, messageId: 'm-1' },
        { type: 'track', userId: 'u-1', event: 'Order Completed', messageId: 'm-2' },
        { type: 'track', userId: 'u-1', event: 'Order Completed', messageId: 'm-2' },
      ],
    }
    expect((await send('/v1/batch', batch)).statusCode).toBe(200)
    expect((await send('/v1/batch', batch)).statusCode).toBe(200)
    expect((await storedEvents(t.db)).map((e) => e.message_id)).toEqual(['m-1', 'm-2'])
    // Another touchpoint's messageId is its own.
    const app = await t.touchpointKey('app', 'ios')
    expect((await send('/v1/batch', batch, app)).statusCode).toBe(200)
    expect(await eventCount(t.db)).toBe(4)
  })

  it('corrects the timestamp by the sender clock skew and keeps the original', async () => {
    // The device clock is 5 minutes behind the server: it says it sent at 09:55 while we receive at 10:00.
    const res = await send('/v1/track', { userId: 'u-1', event: 'Cart Viewed', timestamp: '2026-03-01T09:54:30.000Z', sentAt: '2026-03-01T09:55:00.000Z' })
    expect(res.statusCode).toBe(200)
    await send('/v1/batch', { sentAt: '2026-03-01T10:02:00+02:00', batch: [{ type: 'page', anonymousId: 'a', name: 'Home', timestamp: '2026-03-01T10:01:00+02:00' }] })
    const [track, page] = await storedEvents(t.db)
    expect(track!.original_timestamp!.toISOString()).toBe('2026-03-01T09:54:30.000Z')
    expect(track!.sent_at!.toISOString()).toBe('2026-03-01T09:55:00.000Z')
    expect(track!.timestamp.toISOString()).toBe('2026-03-01T09:59:30.000Z')
    // Sent 08:02Z, received 10:00Z: the batch's sentAt shifts its event from 08:01Z to 09:59Z.
    expect(page!.timestamp.toISOString()).toBe('2026-03-01T09:59:00.000Z')
    expect(page!.event).toBe('Home')
  })

  it('refuses bad messages with the field path and stores nothing', async () => {
    const cases: [string, unknown, number, string][] = [
      ['/v1/track', { event: 'No one' }, 400, 'userId'],
      ['/v1/track', { userId: 'u', event: 'x', timestamp: 'yesterday' }, 400, 'timestamp'],
      ['/v1/track', { userId: 'u' }, 400, 'event'],
      ['/v1/alias', { previousId: 'a-1' }, 400, 'userId'],
      ['/v1/group', { userId: 'u' }, 400, 'groupId'],
      ['/v1/batch', { batch: [] }, 400, 'batch'],
      ['/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'ok' }, { type: 'track', userId: 'u', event: 'x', timestamp: '2026-13-45' }] }, 400, 'batch.1.timestamp'],
      ['/v1/batch', { batch: [{ type: 'identify', traits: {} }] }, 400, 'batch.0.userId'],
      ['/v1/batch', { sentAt: 'now', batch: [{ type: 'identify', userId: 'u' }] }, 400, 'sentAt'],
    ]
    for (const [path, body, status, field] of cases) {
      const res = await send(path, body)
      expect(res.statusCode, `${path} ${JSON.stringify(body)}`).toBe(status)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json().errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(field)
    }
    expect(await eventCount(t.db)).toBe(0)
  })

  it('enforces Segment size limits: 32 KB per call, 500 KB per batch, 32 KB per event in a batch', async () => {
    const big = (n: number) => ({ blob: 'x'.repeat(n) })
    const oversizeCall = await send('/v1/track', { userId: 'u', event: 'e', properties: big(33 * 1024) })
    expect(oversizeCall.statusCode).toBe(413)
    expect(oversizeCall.json().type).toBe('https://omnia.dev/problems/payload-too-large')
    const events = Array.from({ length: 20 }, () => ({ type: 'track', userId: 'u', event: 'e', properties: big(30 * 1024) }))
    expect((await send('/v1/batch', { batch: events })).statusCode).toBe(413)
    const oneTooBig = await send('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'ok' }, { type: 'track', userId: 'u', event: 'e', properties: big(40 * 1024) }] })
    expect(oneTooBig.statusCode).toBe(400)
    expect(oneTooBig.json().errors).toEqual([expect.objectContaining({ path: 'batch.1' })])
    // Under the limits, a batch of large events is fine.
    expect((await send('/v1/batch', { batch: events.slice(0, 10) })).statusCode).toBe(200)
    expect(await eventCount(t.db)).toBe(10)
  })

  it('loses nothing when several touchpoints send at once', async () => {
    const keys = [web, await t.touchpointKey('app', 'android'), await t.touchpointKey('pos', 'pos-1')]
    const calls = keys.flatMap((key, k) =>
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? send('/v1/track', { anonymousId: `a-${k}-${i}`, event: 'Tapped', messageId: `m-${i}` }, key)
          : send('/v1/batch', { batch: [1, 2, 3].map((j) => ({ type: 'track', anonymousId: `a-${k}`, event: 'Scrolled', messageId: `m-${i}-${j}` })) }, key),
      ),
    )
    const answers = await Promise.all(calls)
    expect(answers.map((a) => a.statusCode)).toEqual(calls.map(() => 200))
    expect(await eventCount(t.db)).toBe(3 * (10 + 10 * 3))
  })

  it('resolves an anonymous visitor into the identified profile when processed', async () => {
    await send('/v1/track', { anonymousId: 'anon-1', event: 'Product Viewed' })
    expect(await processPendingEvents(t.db, t.clock)).toBe(1)
    const [first] = await storedEvents(t.db)
    expect(first!.profile_id).toMatch(/^cus_/)
    await send('/v1/identify', { anonymousId: 'anon-1', userId: 'user-7', traits: { email: ' Maria@Example.com', phone: 'not a phone' } })
    await send('/v1/track', { userId: 'user-7', event: 'Order Completed' })
    expect(await processPendingEvents(t.db, t.clock)).toBe(2)
    expect(await processPendingEvents(t.db, t.clock)).toBe(0)
    const events = await storedEvents(t.db)
    expect(events.map((e) => e.profile_id)).toEqual([first!.profile_id, first!.profile_id, first!.profile_id])
    expect(events.every((e) => e.processed_at !== null)).toBe(true)
    expect(await identityOwners(t.db)).toEqual([
      { kind: 'anonymous_id', value: 'anon-1', profile_id: first!.profile_id, is_primary: true },
      { kind: 'email', value: 'maria@example.com', profile_id: first!.profile_id, is_primary: true },
      { kind: 'user_id', value: 'user-7', profile_id: first!.profile_id, is_primary: true },
    ])
    const listed = await t.call('GET', `/v1/events?profileId=${first!.profile_id}&limit=2`)
    expect(listed.statusCode).toBe(200)
    expect(listed.json().data.map((e: { type: string }) => e.type)).toEqual(['track', 'identify'])
    const rest = await t.call('GET', `/v1/events?profileId=${first!.profile_id}&limit=2&cursor=${listed.json().nextCursor}`)
    expect(rest.json()).toMatchObject({ data: [{ type: 'track', event: 'Product Viewed' }], nextCursor: null })
  })

  it('merges the anonymous visitor into the signed-in user when an alias joins them', async () => {
    await send('/v1/track', { anonymousId: 'anon-1', event: 'Viewed' })
    await processPendingEvents(t.db, t.clock)
    t.clock.advance(1000)
    await send('/v1/track', { userId: 'user-1', event: 'Viewed' })
    await processPendingEvents(t.db, t.clock)
    await send('/v1/alias', { previousId: 'anon-1', userId: 'user-1' })
    await processPendingEvents(t.db, t.clock)
    const [anon, user, alias] = await storedEvents(t.db)
    expect(anon!.profile_id).not.toBe(user!.profile_id)
    // The visitor's profile is the older one, so it survives and the alias lands on it.
    expect(alias!.profile_id).toBe(anon!.profile_id)
    const survivor = await t.call('GET', `/v1/customers/${user!.profile_id}`)
    expect(survivor.json().id).toBe(anon!.profile_id)
    expect(survivor.json().identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['anonymous_id', 'user_id'])
    expect(await t.db.selectFrom('events.identity_conflict').selectAll().execute()).toEqual([])
  })

  it('lets staff inspect but not touchpoints, and answers problems for bad queries', async () => {
    await send('/v1/track', { anonymousId: 'a-1', event: 'x' })
    const analyst = await t.staffKey('analyst')
    expect((await t.call('GET', '/v1/events?anonymousId=a-1', undefined, { key: analyst })).json().data).toHaveLength(1)
    expect((await t.call('GET', '/v1/events?anonymousId=a-1', undefined, { key: web })).statusCode).toBe(403)
    expect((await t.call('GET', '/v1/events?cursor=bm9wZQ')).statusCode).toBe(400)
  })
})
