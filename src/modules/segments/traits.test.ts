import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { createSegmentVia, customer, identify, members, membershipEvents, ok, orderPlaced, profileOfUser, settle, touchpoints, track, traitsOf } from './testing.js'

const day = 86_400_000

describe.each(engines)('computed traits on %s', (engine) => {
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

  it('computes order traits, last seen per channel and RFM from orders and events', async () => {
    const ana = await customer(t, 'ana@example.com')
    await ok(t.call('POST', '/v1/categories', { code: 'clothing', name: 'Clothing' }), 201)
    await ok(t.call('POST', '/v1/categories', { code: 'tops', name: 'Tops', parent: 'clothing' }), 201)
    await ok(t.call('POST', '/v1/categories', { code: 'home', name: 'Home' }), 201)
    const product = (sku: string, categories: string[]) =>
      ok(t.call('POST', '/v1/products', { title: sku, categories, variants: [{ sku, price: { amount: 1000, currency: 'EUR' } }] }), 201)
    await product('TEE-M', ['tops'])
    await product('MUG', ['home'])
    await orderPlaced(t, ana, { amount: 1000, channel: 'web', store: null, skus: ['TEE-M', 'MUG'] })
    t.clock.advance(day)
    await orderPlaced(t, ana, { amount: 2500, channel: 'pos-ath', store: 'ath-1', skus: ['TEE-M'] })
    t.clock.advance(day)
    await orderPlaced(t, ana, { amount: 4000, channel: 'pos-ath', store: 'ath-1', skus: ['TEE-M'] })
    await settle(t)
    const { traits } = await traitsOf(t, ana)
    expect(traits).toMatchObject({
      orderCount: 3,
      lifetimeValue: 7500,
      averageOrderValue: 2500,
      firstOrderAt: '2026-03-01T10:00:00.000Z',
      lastOrderAt: '2026-03-03T10:00:00.000Z',
      firstOrderChannel: 'web',
      lastOrderChannel: 'pos-ath',
      preferredStore: 'ath-1',
      channelsUsed: ['pos-ath', 'web'],
      // Every order of a tee counts for tops and, through its parent, clothing.
      favouriteCategories: ['clothing', 'tops', 'home'],
      rfm: { recency: 5, frequency: 3, monetary: 2, score: '532' },
    })
    expect(traits.lastSeenPerChannel).toMatchObject({ web: '2026-03-01T10:00:00.000Z', 'pos-ath': '2026-03-03T10:00:00.000Z' })
  })

  it('stores identify traits as custom traits, latest value winning, and counts tracked events per channel', async () => {
    await identify(t, keys.app, 'u-1', { plan: 'gold', age: 41 })
    t.clock.advance(1000)
    await track(t, keys.app, 'u-1', 'product_viewed', { sku: 'TEE-M' })
    await settle(t)
    t.clock.advance(1000)
    await identify(t, keys.web, 'u-1', { plan: 'platinum' })
    await settle(t)
    const id = await profileOfUser(t, 'u-1')
    const body = await traitsOf(t, id)
    expect(body.custom).toEqual({ plan: 'platinum', age: 41 })
    expect(body.traits.channelsUsed).toEqual(['app', 'web'])
    expect(Object.keys(body.traits.lastSeenPerChannel).sort()).toEqual(['app', 'web'])
  })

  it('back-fills a trait definition added through the API, and refuses a taken name', async () => {
    await track(t, keys.app, 'u-2', 'product_viewed', { sku: 'A', price: 300 })
    await track(t, keys.app, 'u-2', 'product_viewed', { sku: 'B', price: 700 })
    await track(t, keys.web, 'u-2', 'product_viewed', { sku: 'A', price: 300 })
    await track(t, keys.app, 'u-2', 'search', { q: 'tee' })
    await settle(t)
    const definition = {
      name: 'appViews',
      source: { events: ['product_viewed'], channel: 'app' },
      aggregate: { op: 'count' },
    }
    const early = await createSegmentVia(t, { type: 'trait', name: 'appViews', op: 'gte', value: 2 })
    await ok(t.call('POST', '/v1/traits/definitions', definition), 201)
    await ok(t.call('POST', '/v1/traits/definitions', { name: 'maxViewedPrice', source: { events: ['product_viewed'], where: [{ path: 'properties.sku', op: 'eq', value: 'B' }] }, aggregate: { op: 'max', path: 'properties.price' } }), 201)
    await ok(t.call('POST', '/v1/traits/definitions', { name: 'topSkus', source: { events: ['product_viewed'] }, aggregate: { op: 'top', path: 'properties.sku', limit: 1 } }), 201)
    const id = await profileOfUser(t, 'u-2')
    expect((await traitsOf(t, id)).traits).toMatchObject({ appViews: 2, maxViewedPrice: 700, topSkus: ['A'] })
    expect(await members(t, early)).toEqual([id])

    // Incremental from then on.
    await track(t, keys.app, 'u-2', 'product_viewed', { sku: 'C', price: 900 })
    await settle(t)
    expect((await traitsOf(t, id)).traits).toMatchObject({ appViews: 3, maxViewedPrice: 700 })

    const taken = await t.call('POST', '/v1/traits/definitions', definition)
    expect(taken.statusCode).toBe(409)
    const builtIn = await t.call('POST', '/v1/traits/definitions', { ...definition, name: 'orderCount' })
    expect(builtIn.statusCode).toBe(409)
    const list = await ok(t.call('GET', '/v1/traits/definitions'))
    expect(list.data.filter((d: { builtIn: boolean }) => !d.builtIn).map((d: { name: string }) => d.name)).toEqual(['appViews', 'maxViewedPrice', 'topSkus'])
  })

  it('folds the loser into the survivor on merge and splits them again on unmerge', async () => {
    const older = await customer(t, 'old@example.com')
    t.clock.advance(1000)
    const newer = await customer(t, 'new@example.com')
    await orderPlaced(t, older, { amount: 1000, channel: 'web' })
    t.clock.advance(day)
    await orderPlaced(t, newer, { amount: 3000, channel: 'app', store: 'ath-1' })
    t.clock.advance(day)
    await orderPlaced(t, newer, { amount: 500, channel: 'app', store: 'ath-1' })
    await settle(t)
    const regulars = await createSegmentVia(t, { type: 'trait', name: 'orderCount', op: 'gte', value: 2 })
    expect(await members(t, regulars)).toEqual([newer])
    await ok(t.call('POST', `/v1/customers/${older}/merge`, { otherId: newer }))
    await settle(t)
    expect(await members(t, regulars)).toEqual([older])
    expect((await traitsOf(t, older)).traits).toMatchObject({
      orderCount: 3,
      lifetimeValue: 4500,
      averageOrderValue: 1500,
      firstOrderAt: '2026-03-01T10:00:01.000Z',
      lastOrderAt: '2026-03-03T10:00:01.000Z',
      firstOrderChannel: 'web',
      lastOrderChannel: 'app',
      channelsUsed: ['app', 'web'],
      preferredStore: 'ath-1',
    })
    await ok(t.call('POST', `/v1/customers/${older}/unmerge`, { loserId: newer }))
    await settle(t)
    expect((await traitsOf(t, older)).traits).toMatchObject({ orderCount: 1, lifetimeValue: 1000, lastOrderChannel: 'web' })
    expect((await traitsOf(t, newer)).traits).toMatchObject({ orderCount: 2, lifetimeValue: 3500, firstOrderChannel: 'app' })
    expect(await membershipEvents(t, regulars)).toEqual([`entered ${newer}`, `exited ${newer}`, `entered ${older}`, `entered ${newer}`, `exited ${older}`])
  })
})
