import { Analytics } from '@segment/analytics-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { identityOwners } from '../customers/testing.js'
import { processPendingEvents } from './index.js'
import { storedEvents } from './testing.js'

describe.each(engines)('the official Segment Node client against Omnia on %s', (engine) => {
  let t: TestApp
  let host: string
  beforeAll(async () => {
    t = await startTestApp(engine)
    host = await t.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => t.close())

  it('delivers identify, track, page and alias unchanged, and they resolve to one profile', async () => {
    const writeKey = await t.touchpointKey('web', 'web-shop')
    const analytics = new Analytics({ writeKey, host, path: '/v1/batch', flushAt: 20, maxRetries: 0 })
    const errors: unknown[] = []
    analytics.on('error', (err) => errors.push(err))
    const at = new Date('2026-02-28T20:00:00.000Z')
    analytics.page({ anonymousId: 'anon-9', name: 'Home', properties: { path: '/' }, timestamp: at, messageId: 'msg-1' })
    analytics.track({ anonymousId: 'anon-9', event: 'Product Viewed', properties: { sku: 'TS-1', price: 19.9 }, timestamp: at, messageId: 'msg-2' })
    analytics.identify({ anonymousId: 'anon-9', userId: 'user-42', traits: { email: 'Niko@Example.com', name: 'Niko' }, timestamp: at, messageId: 'msg-3' })
    analytics.alias({ previousId: 'anon-9', userId: 'user-42', timestamp: at, messageId: 'msg-4' })
    await analytics.closeAndFlush({ timeout: 10_000 })
    expect(errors).toEqual([])

    const events = await storedEvents(t.db)
    expect(events.map((e) => [e.message_id, e.type, e.event, e.user_id, e.anonymous_id, e.previous_id, e.channel])).toEqual([
      ['msg-1', 'page', 'Home', null, 'anon-9', null, 'web-shop'],
      ['msg-2', 'track', 'Product Viewed', null, 'anon-9', null, 'web-shop'],
      ['msg-3', 'identify', null, 'user-42', 'anon-9', null, 'web-shop'],
      ['msg-4', 'alias', null, 'user-42', null, 'anon-9', 'web-shop'],
    ])
    expect(events[1]!.properties).toEqual({ sku: 'TS-1', price: 19.9 })
    expect(events[2]!.traits).toEqual({ email: 'Niko@Example.com', name: 'Niko' })
    for (const e of events) {
      // The client stamps sentAt with its real clock; the server's clock is fixed, so the skew is large.
      expect(e.original_timestamp!.toISOString()).toBe(at.toISOString())
      expect(e.timestamp.getTime()).toBe(at.getTime() + (e.received_at.getTime() - e.sent_at!.getTime()))
    }

    expect(await processPendingEvents(t.db, t.clock)).toBe(4)
    const processed = await storedEvents(t.db)
    const profile = processed[0]!.profile_id
    expect(profile).toMatch(/^cus_/)
    expect(processed.map((e) => e.profile_id)).toEqual([profile, profile, profile, profile])
    expect(await identityOwners(t.db)).toEqual([
      { kind: 'anonymous_id', value: 'anon-9', profile_id: profile, is_primary: true },
      { kind: 'email', value: 'niko@example.com', profile_id: profile, is_primary: true },
      { kind: 'user_id', value: 'user-42', profile_id: profile, is_primary: true },
    ])
    const customer = await t.call('GET', `/v1/customers/${profile}`)
    expect(customer.statusCode).toBe(200)
    expect(customer.json().firstSeenChannel).toBe('web-shop')
  })
})
