import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { profileCount } from '../customers/testing.js'
import { cartCounts, seedShop, type Keys } from './testing.js'

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

describe.each(engines)('carts refuse bad input on %s', (engine) => {
  let t: TestApp
  let keys: Keys
  let cart: string
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await seedShop(t)
    const started = await t.call('POST', '/v1/carts', { anonymousId: 'anon-1' }, { key: keys.web })
    cart = started.json().id
    await t.call('POST', `/v1/carts/${cart}/lines`, { sku: 'TEE-M', quantity: 9_000 }, { key: keys.web })
  })

  /** Sends the request, expects the problem (and field paths), and checks nothing was written. */
  async function refused(method: Method, url: string, body: unknown, status: number, paths: string[] = []) {
    const before = { ...(await cartCounts(t.db)), profiles: await profileCount(t.db) }
    const res = await t.call(method, url, body, { key: keys.web })
    expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    if (paths.length > 0) expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(paths)
    expect({ ...(await cartCounts(t.db)), profiles: await profileCount(t.db) }).toEqual(before)
  }

  it('refuses bad cart creations at the field', async () => {
    await refused('POST', '/v1/carts', {}, 400, ['customerId'])
    await refused('POST', '/v1/carts', { customerId: 'cus_x', anonymousId: 'a' }, 400, ['customerId'])
    await refused('POST', '/v1/carts', { customerId: 'cus_nobody' }, 400, ['customerId'])
    await refused('POST', '/v1/carts', { anonymousId: 'a', currency: 'XXX' }, 400, ['currency'])
    await refused('POST', '/v1/carts', { anonymousId: '' }, 400, ['anonymousId'])
    await refused('POST', '/v1/carts', { anonymousId: 'a', total: 1 }, 400, ['total'])
  })

  it('answers unknown carts and customers with 404', async () => {
    await refused('GET', '/v1/carts/crt_nope', undefined, 404)
    await refused('GET', '/v1/customers/cus_nope/cart', undefined, 404)
    const customer = await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'a@example.com' }] })
    await refused('GET', `/v1/customers/${customer.json().id}/cart`, undefined, 404)
    await refused('POST', '/v1/carts/crt_nope/lines', { sku: 'TEE-M', quantity: 1 }, 404)
    await refused('PATCH', '/v1/carts/crt_nope/lines/TEE-M', { quantity: 1 }, 404)
    await refused('DELETE', '/v1/carts/crt_nope/lines/TEE-M', undefined, 404)
    await refused('PUT', '/v1/carts/crt_nope/fulfillment', { method: 'ship' }, 404)
    await refused('POST', '/v1/carts/crt_nope/identify', { identities: [{ kind: 'email', value: 'b@example.com' }] }, 404)
  })

  it('refuses bad coupons at the field, and codes that cannot be used, changing nothing', async () => {
    const coupon = `/v1/carts/${cart}/coupon`
    await refused('PUT', coupon, {}, 400, ['code'])
    await refused('PUT', coupon, { code: 'x' }, 400, ['code'])
    await refused('PUT', coupon, { code: 'has space' }, 400, ['code'])
    await refused('PUT', coupon, { code: 'SAVE5', discount: 500 }, 400, ['discount'])
    await refused('PUT', coupon, { code: 'NO-SUCH-CODE' }, 422)
    await refused('PUT', '/v1/carts/crt_nope/coupon', { code: 'SAVE5' }, 404)
    await refused('DELETE', '/v1/carts/crt_nope/coupon', undefined, 404)
    const empty = (await t.call('POST', '/v1/carts', { anonymousId: 'anon-2' }, { key: keys.web })).json().id
    await refused('PUT', `/v1/carts/${empty}/coupon`, { code: 'SAVE5' }, 400, ['code'])
  })

  it('refuses bad lines at the field', async () => {
    const lines = `/v1/carts/${cart}/lines`
    for (const quantity of [0, -1, 1.5, 10_000, '2']) await refused('POST', lines, { sku: 'MUG-1', quantity }, 400, ['quantity'])
    await refused('POST', lines, { sku: 'not a sku', quantity: 1 }, 400, ['sku'])
    await refused('POST', lines, { sku: 'MUG-1', quantity: 1, price: 1 }, 400, ['price'])
    await refused('POST', lines, { sku: 'TEE-M', quantity: 1_000 }, 400, ['quantity'])
    await refused('PATCH', `${lines}/TEE-M`, { quantity: -1 }, 400, ['quantity'])
    await refused('PATCH', `${lines}/MUG-1`, { quantity: 2 }, 404)
    await refused('PATCH', `${lines}/bad%20sku`, { quantity: 2 }, 400, ['params.sku'])
    await refused('DELETE', `${lines}/MUG-1`, undefined, 404)
  })

  it('refuses bad fulfilment choices at the field', async () => {
    const url = `/v1/carts/${cart}/fulfillment`
    await refused('PUT', url, { method: 'drone' }, 400, ['method'])
    await refused('PUT', url, { method: 'pickup' }, 400, ['location'])
    await refused('PUT', url, { method: 'ship', location: 'ath-1' }, 400, ['location'])
    await refused('PUT', url, { method: 'pickup', location: 'nowhere' }, 400, ['location'])
    await refused('PUT', url, { method: 'curbside', location: 'hq' }, 400, ['location'])
  })

  it('refuses bad identifications at the field, creating no customer', async () => {
    const url = `/v1/carts/${cart}/identify`
    await refused('POST', url, { identities: [] }, 400, ['identities'])
    await refused('POST', url, { identities: [{ kind: 'email', value: 'not-an-email' }] }, 400, ['identities.0.value'])
    await refused('POST', url, { identities: [{ kind: 'fax', value: '1' }] }, 400, ['identities.0.kind'])
  })

  it('lets reading staff read carts but not change them', async () => {
    const analyst = await t.staffKey('analyst')
    expect((await t.call('GET', `/v1/carts/${cart}`, undefined, { key: analyst })).statusCode).toBe(200)
    const write = await t.call('POST', `/v1/carts/${cart}/lines`, { sku: 'TEE-M', quantity: 1 }, { key: analyst })
    expect(write.statusCode).toBe(403)
    const agent = await t.staffKey('agent')
    expect((await t.call('POST', `/v1/carts/${cart}/lines`, { sku: 'TEE-M', quantity: 1 }, { key: agent })).statusCode).toBe(200)
  })
})
