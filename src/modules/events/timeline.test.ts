import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { ok } from '../../../test/support/replies.js'
import { seedShop, type Keys } from '../carts/testing.js'
import { simulateMerge } from '../customers/testing.js'
import { createChannel } from '../inventory/testing.js'
import { processPendingEvents, timelineConsumer } from './index.js'
import { basicAuth } from './testing.js'

type Entry = { id: string; at: string; type: string; name: string | null; channel: string | null; properties: Record<string, unknown> }

const minute = 60_000
const phone = '+306912345678'

describe.each(engines)('customer timeline on %s', (engine) => {
  let t: TestApp
  let keys: Keys
  let instagram: string
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    t.clock.set('2026-03-01T10:00:00Z')
    keys = await seedShop(t)
    instagram = await createChannel(t, 'instagram', 'social')
  })

  const track = (key: string, path: string, body: unknown) => ok(t.call('POST', path, body, { key: null, headers: basicAuth(key) }))
  const timeline = (id: string, query = '', key?: string) =>
    ok(t.call('GET', `/v1/customers/${id}/timeline${query}`, undefined, key ? { key } : {})) as Promise<{ data: Entry[]; nextCursor: string | null }>
  const brief = (e: Entry) => `${e.at.slice(11, 16)} ${e.channel} ${e.type} ${e.name ?? '-'}`
  const step = () => t.clock.advance(minute)

  /**
   * An anonymous web visitor browses and fills a cart, gives their phone at the store counter,
   * then writes from Instagram with the same phone. Answers the one profile they end up with.
   */
  async function crossChannelStory(): Promise<string> {
    await track(keys.web, '/v1/page', { anonymousId: 'a-1', name: 'Home', properties: { path: '/' } })
    step()
    await track(keys.web, '/v1/track', { anonymousId: 'a-1', event: 'Product Viewed', properties: { sku: 'TEE-M' } })
    step()
    const cart = await ok(t.call('POST', '/v1/carts', { anonymousId: 'a-1' }, { key: keys.web }), 201)
    step()
    await ok(t.call('POST', `/v1/carts/${cart.id}/lines`, { sku: 'TEE-M', quantity: 2 }, { key: keys.web }))
    step()
    await processPendingEvents(t.db, t.clock)
    step()
    const atCounter = await ok(t.call('POST', `/v1/carts/${cart.id}/identify`, { identities: [{ kind: 'phone', value: phone }] }, { key: keys.pos }))
    step()
    await track(instagram, '/v1/identify', { anonymousId: 'ig-thread-9', traits: { phone } })
    const fromInstagram = await ok(t.call('POST', '/v1/customers', { identities: [{ kind: 'phone', value: phone }] }, { key: instagram }))
    expect(fromInstagram.id).toBe(atCounter.customerId)
    step()
    await processPendingEvents(t.db, t.clock)
    await t.dispatcher.drain()
    return atCounter.customerId as string
  }

  it('shows web page views, the cart and the store identify of one person with their channels, newest first', async () => {
    const customerId = await crossChannelStory()
    const { data, nextCursor } = await timeline(customerId)
    expect(nextCursor).toBeNull()
    expect(data.map(brief)).toEqual([
      // Processing Instagram's identify found the phone's owner and gave them the thread's id.
      '10:07 instagram domain customer.identity_added',
      '10:06 instagram identify -',
      // The counter's two facts share one transaction: the cart became theirs after the phone was added.
      '10:05 pos-ath domain cart.updated',
      '10:05 pos-ath domain customer.identity_added',
      '10:04 web domain customer.identity_added',
      '10:04 web domain customer.created',
      '10:03 web domain cart.updated',
      '10:02 web domain cart.updated',
      '10:01 web track Product Viewed',
      '10:00 web page Home',
    ])
    expect(data[0]!.properties).toMatchObject({ kind: 'anonymous_id', value: 'ig-thread-9' })
    expect(data[1]!.properties).toEqual({ phone })
    expect(data[2]!.properties).toMatchObject({ change: 'identified', customerId })
    // Filled before they said who they were: found through the anonymous id they now own.
    expect(data[6]!.properties).toMatchObject({ change: 'line_added', sku: 'TEE-M', quantity: 2, anonymousId: 'a-1', customerId: null })
    expect(data[8]!.properties).toEqual({ sku: 'TEE-M' })
  })

  it('pages through the whole timeline with cursors and filters by channel and type', async () => {
    const customerId = await crossChannelStory()
    const all = (await timeline(customerId)).data
    const walked: Entry[] = []
    let cursor: string | null = null
    do {
      const page: { data: Entry[]; nextCursor: string | null } = await timeline(customerId, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.data.length).toBeLessThanOrEqual(2)
      walked.push(...page.data)
      cursor = page.nextCursor
    } while (cursor)
    expect(walked).toEqual(all)

    expect((await timeline(customerId, '?channel=pos-ath')).data.map(brief)).toEqual([
      '10:05 pos-ath domain cart.updated',
      '10:05 pos-ath domain customer.identity_added',
    ])
    expect((await timeline(customerId, '?type=page')).data.map(brief)).toEqual(['10:00 web page Home'])
    expect((await timeline(customerId, '?type=domain&channel=web&limit=1')).data.map(brief)).toEqual([
      '10:04 web domain customer.identity_added',
    ])
    const webTracked = await timeline(customerId, '?channel=web&type=track')
    expect(webTracked.data.map(brief)).toEqual(['10:01 web track Product Viewed'])
    expect((await timeline(customerId, '?channel=kiosk')).data).toEqual([])
  })

  it('keeps one entry per domain fact when the outbox delivers it again', async () => {
    const customerId = await crossChannelStory()
    const before = (await timeline(customerId)).data
    // Rewind the subscriber's checkpoint: every fact is delivered a second time.
    await sql`update kernel.consumer_checkpoint set tx_id = '0', event_id = 0 where consumer = ${timelineConsumer}`.execute(t.db)
    await t.dispatcher.drain()
    expect((await timeline(customerId)).data).toEqual(before)
    const stored = await sql<{ n: number; facts: number }>`
      select count(*)::int as n, count(distinct outbox_event_id)::int as facts from events.timeline_entry`.execute(t.db)
    expect(stored.rows[0]!.n).toBe(stored.rows[0]!.facts)
  })

  it("answers the survivor's timeline for a merged-away customer id", async () => {
    const customerId = await crossChannelStory()
    const other = await ok(t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'old@example.com' }] }), 201)
    await simulateMerge(t.db, other.id, customerId)
    expect((await timeline(other.id)).data).toEqual((await timeline(customerId)).data)
  })

  it('is staff-only and refuses unknown customers and bad queries with problems', async () => {
    const customerId = await crossChannelStory()
    const agent = await t.staffKey('agent')
    expect((await timeline(customerId, '?limit=1', agent)).data).toHaveLength(1)
    for (const key of [keys.pos, instagram]) {
      const denied = await t.call('GET', `/v1/customers/${customerId}/timeline`, undefined, { key })
      expect(denied.statusCode).toBe(403)
    }
    const missing = await t.call('GET', '/v1/customers/cus_nobody/timeline')
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/)
    const cases: [string, string][] = [
      ['?type=purchase', 'query.type'],
      ['?limit=0', 'query.limit'],
      ['?cursor=not-a-cursor', 'query.cursor'],
      [`?cursor=${Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url')}`, 'query.cursor'],
    ]
    for (const [query, path] of cases) {
      const res = await t.call('GET', `/v1/customers/${customerId}/timeline${query}`)
      expect(res.statusCode, query).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path), query).toContain(path)
    }
  })
})
