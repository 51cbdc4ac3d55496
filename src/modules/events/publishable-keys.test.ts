import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { expectRefusedWithoutWrites } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'
import { basicAuth, storedEvents } from './testing.js'

const forbidden = 'https://omnia.dev/problems/forbidden'

describe.each(engines)('Publishable keys on %s', (engine) => {
  let t: TestApp
  let key: string
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    expect((await t.call('POST', '/v1/channels', { code: 'web-shop', name: 'Web shop', kind: 'web' })).statusCode).toBe(201)
    const created = await t.call('POST', '/v1/keys', { kind: 'publishable', channel: 'web-shop' })
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json()).toMatchObject({ kind: 'publishable', channel: 'web-shop', role: null, name: 'Web shop (publishable)' })
    key = created.json().apiKey
  })

  it('sends events for its channel with the key as Basic user name or as Bearer', async () => {
    const track = await t.call('POST', '/v1/track', { anonymousId: 'a-1', event: 'Product Viewed', messageId: 'm-1' }, { key: null, headers: basicAuth(key) })
    expect(track.statusCode).toBe(200)
    const batch = await t.call('POST', '/v1/batch', { batch: [{ type: 'page', anonymousId: 'a-1', name: 'Home', messageId: 'm-2' }] }, { key })
    expect(batch.statusCode).toBe(200)
    expect((await storedEvents(t.db)).map((e) => [e.message_id, e.channel])).toEqual([
      ['m-1', 'web-shop'],
      ['m-2', 'web-shop'],
    ])
  })

  it('reads the catalog and prices but is refused every person, basket, order and stock route', async () => {
    expect((await t.call('GET', '/v1/products', undefined, { key })).statusCode).toBe(200)
    const refused: [string, string, unknown?][] = [
      ['GET', '/v1/customers?identity=phone:+306912345678'],
      ['GET', '/v1/customers/cus_1'],
      ['POST', '/v1/customers', { identities: [{ kind: 'email', value: 'a@example.com' }] }],
      ['GET', '/v1/customers/cus_1/timeline'],
      ['GET', '/v1/events'],
      ['POST', '/v1/carts', {}],
      ['GET', '/v1/orders'],
      ['POST', '/v1/orders', {}],
      ['POST', '/v1/inventory/reservations', { lines: [{ sku: 'X', quantity: 1 }], ttlSeconds: 60 }],
      ['GET', '/v1/keys'],
      ['GET', '/v1/tracking-plan'],
    ]
    for (const [method, url, body] of refused) {
      const res = await t.call(method as 'GET', url, body, { key })
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json().type).toBe(forbidden)
    }
  })

  it('is listed as publishable and stops working once revoked', async () => {
    const listed = (await t.call('GET', '/v1/keys')).json().data
    expect(listed.filter((k: { kind: string }) => k.kind === 'publishable')).toHaveLength(1)
    const prefix = key.split('_').slice(0, 2).join('_')
    expect((await t.call('POST', `/v1/keys/${prefix}/revoke`)).statusCode).toBe(200)
    expect((await t.call('POST', '/v1/track', { userId: 'u', event: 'x' }, { key })).statusCode).toBe(401)
  })

  it('needs an existing channel and refuses staff fields, naming them', async () => {
    const unknown = await t.call('POST', '/v1/keys', { kind: 'publishable', channel: 'nope' })
    expect(unknown.statusCode).toBe(404)
    await expectRefusedWithoutWrites(
      t,
      [
        ['publishable without a channel', 'POST', '/v1/keys', { kind: 'publishable' }, ['channel']],
        ['publishable with a role', 'POST', '/v1/keys', { kind: 'publishable', channel: 'web-shop', role: 'admin' }, ['role']],
        ['publishable with a location', 'POST', '/v1/keys', { kind: 'publishable', channel: 'web-shop', location: 'x' }, ['location']],
        ['staff key with a channel', 'POST', '/v1/keys', { role: 'clerk', name: 'M', channel: 'web-shop' }, ['channel']],
        ['staff key without a role', 'POST', '/v1/keys', { name: 'M' }, ['role']],
        ['an unknown kind', 'POST', '/v1/keys', { kind: 'touchpoint', channel: 'web-shop' }, ['kind']],
      ],
      ['access.api_key'],
    )
  })
})
