import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { basicAuth } from '../events/testing.js'
import { refreshTimeWindows } from './index.js'
import {
  createSegmentVia,
  customer,
  members,
  membershipEvents,
  ok,
  orderPlaced,
  profileOfUser,
  settle,
  touchpoints,
  track,
} from './testing.js'

const day = 86_400_000

/** "Viewed a product at least 3 times in the last 7 days on the app and no order since." */
const browsingNotBuying = {
  type: 'and',
  rules: [
    { type: 'behaviour', event: 'product_viewed', channel: 'app', atLeast: 3, withinDays: 7 },
    { type: 'not', rule: { type: 'behaviour', event: 'order.placed', withinDays: 7 } },
  ],
}

describe.each(engines)('segments on %s', (engine) => {
  let t: TestApp
  let keys: { app: string; web: string }
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    t.clock.set('2026-03-01T10:00:00Z')
    keys = await touchpoints(t)
  })

  const views = async (key: string, userId: string, n: number) => {
    for (let i = 0; i < n; i++) await track(t, key, userId, 'product_viewed', { sku: `S${i}` })
  }

  it('enters and exits people as their events arrive, with entered/exited events in the outbox', async () => {
    const segment = await createSegmentVia(t, browsingNotBuying, 'Browsing, not buying')
    await views(keys.app, 'ana', 2)
    await views(keys.web, 'bob', 3)
    await views(keys.app, 'cy', 3)
    await settle(t)
    const [ana, bob, cy] = [await profileOfUser(t, 'ana'), await profileOfUser(t, 'bob'), await profileOfUser(t, 'cy')]
    await orderPlaced(t, cy, { amount: 1000 })
    await settle(t)
    expect(await members(t, segment)).toEqual([])
    expect(await membershipEvents(t, segment)).toEqual([`entered ${cy}`, `exited ${cy}`])

    await views(keys.app, 'ana', 1)
    await views(keys.app, 'bob', 2)
    await settle(t)
    expect(await members(t, segment)).toEqual([ana])
    expect(bob).not.toBe(ana)
    const view = await ok(t.call('GET', `/v1/segments/${segment}`))
    expect(view).toMatchObject({ memberCount: 1, isTimeRelative: true })
    expect((await ok(t.call('GET', `/v1/customers/${ana}/segments`))).data).toEqual([
      { segmentId: segment, name: 'Browsing, not buying', enteredAt: '2026-03-01T10:00:00.000Z' },
    ])
    // The profile view carries them too, through the customers module's ProfileExtras port.
    const profile = await ok(t.call('GET', `/v1/customers/${ana}`))
    expect(profile.segments).toEqual([{ segmentId: segment, name: 'Browsing, not buying', enteredAt: '2026-03-01T10:00:00.000Z' }])
    expect(profile.traits).toMatchObject({ channelsUsed: ['app'], custom: {} })
  })

  it('lets people leave a windowed segment by the passing of time, through the daily task', async () => {
    const segment = await createSegmentVia(t, browsingNotBuying)
    await views(keys.app, 'ana', 3)
    t.clock.advance(3 * day)
    await views(keys.app, 'bob', 3)
    await settle(t)
    const [ana, bob] = [await profileOfUser(t, 'ana'), await profileOfUser(t, 'bob')]
    expect(await members(t, segment)).toEqual([ana, bob].sort())

    t.clock.set('2026-03-07T23:59:00Z')
    expect(await refreshTimeWindows(t.db, t.clock)).toBe(1)
    expect(await members(t, segment)).toEqual([ana, bob].sort())
    expect(await refreshTimeWindows(t.db, t.clock)).toBe(0) // once a day

    t.clock.set('2026-03-08T00:00:01Z') // ana's views were 7 days ago: out of "the last 7 days"
    await refreshTimeWindows(t.db, t.clock)
    expect(await members(t, segment)).toEqual([bob])
    expect(await membershipEvents(t, segment)).toEqual([`entered ${ana}`, `entered ${bob}`, `exited ${ana}`])
    const counts = await ok(t.call('GET', `/v1/segments/${segment}/counts?days=3`))
    expect(counts.data).toEqual([
      { day: '2026-03-06', count: 0, entered: 0, exited: 0 },
      { day: '2026-03-07', count: 0, entered: 0, exited: 0 },
      { day: '2026-03-08', count: 1, entered: 0, exited: 1 },
    ].map((d, i) => (i < 2 ? { ...d, count: 2 } : d)))
  })

  it('reads "and no order since" as no order after the last counted view', async () => {
    const rule = { type: 'behaviour', event: 'product_viewed', channel: 'app', atLeast: 3, withinDays: 7, notSince: { event: 'order.placed' } }
    const segment = await createSegmentVia(t, rule, 'Browsing again')
    await views(keys.app, 'ana', 1)
    await settle(t)
    const ana = await profileOfUser(t, 'ana')
    await orderPlaced(t, ana, { amount: 1000 })
    t.clock.advance(2 * day)
    await views(keys.app, 'ana', 2) // bought two days ago and browsing since: in
    await views(keys.app, 'bob', 3)
    await settle(t)
    const bob = await profileOfUser(t, 'bob')
    expect(await members(t, segment)).toEqual([ana, bob].sort())
    // Not-within-the-window would keep ana out: she ordered in it.
    expect((await ok(t.call('POST', '/v1/segments/preview', { rule: browsingNotBuying }))).count).toBe(1)

    t.clock.advance(60_000)
    await orderPlaced(t, bob, { amount: 2000 }) // the same day, after his views: out
    await settle(t)
    expect(await members(t, segment)).toEqual([ana])
    t.clock.advance(60_000)
    await views(keys.app, 'bob', 1) // browsing again after buying: back in
    await settle(t)
    expect(await members(t, segment)).toEqual([ana, bob].sort())
    expect((await membershipEvents(t, segment)).filter((e) => e.endsWith(bob))).toEqual([`entered ${bob}`, `exited ${bob}`, `entered ${bob}`])
    // An order on another channel than notSince names does not count.
    await createSegmentVia(t, { ...rule, notSince: { event: 'order.placed', channel: 'store' } })
    t.clock.advance(60_000)
    await orderPlaced(t, ana, { amount: 500, channel: 'web' })
    await settle(t)
    expect(await members(t, segment)).toEqual([bob])
    const recomputed = await ok(t.call('POST', `/v1/segments/${segment}/recompute`))
    expect(recomputed).toEqual({ memberCount: 1, entered: 0, exited: 0 })
  })

  it('counts only occurrences whose properties pass the filters, across merged profiles', async () => {
    const shoes = { path: 'properties.category', op: 'eq', value: 'shoes' }
    const rule = { type: 'behaviour', event: 'product_viewed', where: [shoes], atLeast: 3, withinDays: 7 }
    const segment = await createSegmentVia(t, rule, 'Shoe browsers')
    // Anonymous visitors: two user accounts would refuse to merge.
    const view = (key: string, anonymousId: string, properties: object) =>
      ok(t.call('POST', '/v1/track', { anonymousId, event: 'product_viewed', properties }, { key: null, headers: basicAuth(key) }))
    const ids: string[] = []
    for (const visitor of ['ana', 'bob', 'cy']) {
      await view(keys.web, visitor, { category: 'shoes', price: { amount: 5000 } })
      await view(keys.app, visitor, { category: 'bags' })
      await settle(t)
      ids.push((await ok(t.call('GET', `/v1/customers?identity=anonymous_id:${visitor}`))).data[0].id)
      t.clock.advance(1000)
    }
    const [ana, bob, cy] = ids as [string, string, string]
    expect(await members(t, segment)).toEqual([])
    // cy folds into bob, then bob into ana: cy's views count for ana through one hop.
    await ok(t.call('POST', `/v1/customers/${bob}/merge`, { otherId: cy }))
    await ok(t.call('POST', `/v1/customers/${ana}/merge`, { otherId: bob }))
    await settle(t)
    expect(await members(t, segment)).toEqual([ana])
    const preview = async (r: object) => (await ok(t.call('POST', '/v1/segments/preview', { rule: r }))).count
    expect(await preview({ ...rule, atLeast: 3, atMost: 3 })).toBe(1)
    expect(await preview({ ...rule, where: [{ path: 'properties.category', op: 'in', value: ['shoes', 'bags'] }], atLeast: 6 })).toBe(1)
    expect(await preview({ ...rule, where: [{ path: 'properties.category', op: 'neq', value: 'shoes' }], atLeast: 3, channel: 'app' })).toBe(1)
    expect(await preview({ ...rule, where: [shoes, { path: 'properties.price.amount', op: 'eq', value: 5000 }] })).toBe(1)
    expect(await preview({ ...rule, where: [{ path: 'properties.price', op: 'exists' }], atLeast: 4 })).toBe(0)
    // Both at once: no order since the last shoe view.
    const noOrderSince = { ...rule, notSince: { event: 'order.placed' } }
    expect(await preview(noOrderSince)).toBe(1)
    await orderPlaced(t, ana, { amount: 100 })
    await settle(t)
    expect(await preview(noOrderSince)).toBe(0)

    // Splitting bob (with cy) off again takes their views with them.
    await ok(t.call('POST', `/v1/customers/${ana}/unmerge`, { loserId: bob }))
    await settle(t)
    expect(await members(t, segment)).toEqual([])
    expect(await preview({ ...rule, atLeast: 2 })).toBe(1)
    expect((await ok(t.call('POST', '/v1/segments/preview', { rule: { ...rule, atLeast: 2 } }))).sample).toEqual([bob])
    // Time passes: the views leave the window.
    t.clock.advance(7 * day)
    expect(await preview({ ...rule, atLeast: 1 })).toBe(0)
  })

  it('recomputes from scratch on a definition change and applies only the difference', async () => {
    const a = await customer(t, 'a@example.com')
    const b = await customer(t, 'b@example.com')
    const c = await customer(t, 'c@example.com')
    await orderPlaced(t, a, { amount: 1000 })
    await orderPlaced(t, b, { amount: 5000 })
    await orderPlaced(t, c, { amount: 9000 })
    await settle(t)
    const segment = await createSegmentVia(t, { type: 'trait', name: 'lifetimeValue', op: 'gte', value: 5000 })
    expect(await members(t, segment)).toEqual([b, c].sort())
    const updated = await ok(t.call('PUT', `/v1/segments/${segment}`, { name: 'Big', rule: { type: 'trait', name: 'lifetimeValue', op: 'gt', value: 1000 } }))
    expect(updated).toMatchObject({ name: 'Big', memberCount: 2 })
    const again = await ok(t.call('PUT', `/v1/segments/${segment}`, { name: 'Big', rule: { type: 'trait', name: 'lifetimeValue', op: 'lte', value: 5000 } }))
    expect(again.memberCount).toBe(2)
    expect(await members(t, segment)).toEqual([a, b].sort())
    expect(await membershipEvents(t, segment)).toEqual([...[b, c].sort().map((p) => `entered ${p}`), `entered ${a}`, `exited ${c}`])
    expect(await ok(t.call('POST', `/v1/segments/${segment}/recompute`))).toEqual({ memberCount: 2, entered: 0, exited: 0 })
  })

  it('evaluates every kind of condition, nested and/or/not, and membership of another segment', async () => {
    const [a, b, c, d] = [await customer(t, 'a@example.com'), await customer(t, 'b@example.com'), await customer(t, 'c@example.com'), await customer(t, 'd@example.com')]
    await ok(t.call('POST', `/v1/customers/${b}/identities`, { identities: [{ kind: 'phone', value: '+306912345678' }] }))
    await ok(t.call('PUT', `/v1/customers/${a}/consents`, { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'checkout-form' }))
    await ok(t.call('PUT', `/v1/customers/${b}/consents`, { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'checkout-form' }))
    await ok(t.call('PUT', `/v1/customers/${b}/consents`, { channel: 'email', purpose: 'marketing', status: 'opted_out', source: 'unsubscribe-link' }))
    await orderPlaced(t, a, { amount: 1000, channel: 'web', store: 'ath-1' })
    await orderPlaced(t, b, { amount: 5000, channel: 'app', store: 'ath-2' })
    t.clock.advance(40 * day)
    await orderPlaced(t, c, { amount: 9000, channel: 'app', store: 'ath-2' })
    await settle(t)
    const sorted = (...ids: string[]) => ids.sort()
    const preview = async (rule: object) => (await ok(t.call('POST', '/v1/segments/preview', { rule, sampleSize: 10 }))).sample as string[]
    const trait = (name: string, op: string, value?: unknown) => ({ type: 'trait', name, op, ...(value !== undefined && { value }) })
    expect(await preview(trait('lifetimeValue', 'eq', 5000))).toEqual([b])
    expect(await preview(trait('lifetimeValue', 'neq', 5000))).toEqual(sorted(a, c))
    expect(await preview(trait('lifetimeValue', 'gt', 1000))).toEqual(sorted(b, c))
    expect(await preview(trait('lifetimeValue', 'lt', 5000))).toEqual([a])
    expect(await preview(trait('lifetimeValue', 'lte', 5000))).toEqual(sorted(a, b))
    expect(await preview(trait('preferredStore', 'in', ['ath-1', 'ath-9']))).toEqual([a])
    expect(await preview(trait('channelsUsed', 'contains', 'app'))).toEqual(sorted(b, c))
    expect(await preview(trait('lastSeenPerChannel', 'contains', 'web'))).toEqual(sorted(a, b, c, d).filter((p) => p === a))
    expect(await preview(trait('orderCount', 'exists'))).toEqual(sorted(a, b, c))
    expect(await preview(trait('lastOrderAt', 'withinDays', 30))).toEqual([c])
    expect(await preview(trait('lastOrderAt', 'notWithinDays', 30))).toEqual(sorted(a, b))
    expect(await preview(trait('lastOrderAt', 'gte', '2026-03-02'))).toEqual([c])
    expect(await preview({ ...trait('rfm', 'gte', 5), path: ['recency'] })).toEqual([c])
    expect(await preview({ type: 'identity', kind: 'phone' })).toEqual([b])
    expect(await preview({ type: 'consent', channel: 'email', purpose: 'marketing' })).toEqual([a])
    expect(await preview({ type: 'consent', channel: 'email', purpose: 'marketing', status: 'opted_out' })).toEqual([b])
    expect(await preview({ type: 'not', rule: { type: 'identity', kind: 'phone' } })).toEqual(sorted(a, c, d))
    expect(await preview({ type: 'behaviour', event: 'order.placed', channel: 'app', atLeast: 1, atMost: 1 })).toEqual(sorted(b, c))
    expect(await preview({
      type: 'or',
      rules: [
        { type: 'and', rules: [trait('lifetimeValue', 'gte', 5000), { type: 'not', rule: { type: 'identity', kind: 'phone' } }] },
        { type: 'consent', channel: 'email', purpose: 'marketing' },
      ],
    })).toEqual(sorted(a, c))

    const buyers = await createSegmentVia(t, trait('orderCount', 'gte', 1), 'Buyers')
    const quiet = await createSegmentVia(t, { type: 'and', rules: [{ type: 'segment', segmentId: buyers }, { type: 'not', rule: trait('lastOrderAt', 'withinDays', 30) }] }, 'Lapsed')
    expect(await members(t, quiet)).toEqual(sorted(a, b))
    // d buys now: enters Buyers, and Lapsed is re-evaluated after it in the same batch (and stays out).
    await orderPlaced(t, d, { amount: 100 })
    await settle(t)
    expect(await members(t, buyers)).toEqual(sorted(a, b, c, d))
    expect(await members(t, quiet)).toEqual(sorted(a, b))
    // A referenced segment cannot be deleted; the reader can, then the other.
    expect((await t.call('DELETE', `/v1/segments/${buyers}`)).statusCode).toBe(422)
    await ok(t.call('DELETE', `/v1/segments/${quiet}`))
    await ok(t.call('DELETE', `/v1/segments/${buyers}`))
    expect((await t.call('GET', `/v1/segments/${buyers}`)).statusCode).toBe(404)
  })

  it('re-evaluates identity and consent conditions as customers change', async () => {
    const reachable = await createSegmentVia(t, {
      type: 'and',
      rules: [{ type: 'identity', kind: 'phone' }, { type: 'consent', channel: 'sms', purpose: 'marketing' }],
    })
    const ana = await customer(t, 'ana@example.com')
    await settle(t)
    await ok(t.call('POST', `/v1/customers/${ana}/identities`, { identities: [{ kind: 'phone', value: '+306912345678' }] }))
    await settle(t)
    expect(await members(t, reachable)).toEqual([])
    const consent = (status: string) =>
      ok(t.call('PUT', `/v1/customers/${ana}/consents`, { channel: 'sms', purpose: 'marketing', status, source: 'pos-form' }))
    await consent('opted_in')
    await settle(t)
    expect(await members(t, reachable)).toEqual([ana])
    await consent('opted_out')
    await settle(t)
    expect(await membershipEvents(t, reachable)).toEqual([`entered ${ana}`, `exited ${ana}`])
  })

  it('pages members in profile id order, exports them as CSV and lists segments', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(await customer(t, `p${i}@example.com`))
      await orderPlaced(t, ids[i]!, { amount: 100 })
      await settle(t)
      t.clock.advance(1000)
    }
    const segment = await createSegmentVia(t, { type: 'trait', name: 'orderCount', op: 'gte', value: 1 })
    const first = await ok(t.call('GET', `/v1/segments/${segment}/members?limit=2`))
    expect(first.data).toHaveLength(2)
    const second = await ok(t.call('GET', `/v1/segments/${segment}/members?limit=2&cursor=${first.nextCursor}`))
    const third = await ok(t.call('GET', `/v1/segments/${segment}/members?limit=2&cursor=${second.nextCursor}`))
    expect(third.nextCursor).toBeNull()
    const paged = [...first.data, ...second.data, ...third.data].map((m: { profileId: string }) => m.profileId)
    expect(paged).toEqual([...ids].sort())

    const csv = await t.call('GET', `/v1/segments/${segment}/members.csv`)
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    const lines = csv.body.trim().split('\n')
    expect(lines[0]).toBe('profile_id,entered_at')
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual([...ids].sort())
    expect((await t.call('GET', '/v1/segments/seg_nope/members.csv')).statusCode).toBe(404)

    const list = await ok(t.call('GET', '/v1/segments'))
    expect(list.data.map((s: { id: string }) => s.id)).toEqual([segment])
  })
})
