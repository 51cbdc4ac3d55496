import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { placeOrder, seedShop, type ShopKeys } from '../orders/testing.js'
import { fulfillmentSnapshot } from './testing.js'

type Method = 'GET' | 'POST'

const shipTo = { line1: 'Ermou 1', city: 'Athens', country: 'GR' }

describe.each(engines)('fulfilment refuses bad input on %s', (engine) => {
  let t: TestApp
  let keys: ShopKeys
  let id: string
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await seedShop(t)
    const order = await placeOrder(t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'ship', address: shipTo },
      payment: { method: 'cash_on_delivery' },
    })
    id = order.json().fulfillments[0].id
  })

  /** Sends the request, expects the problem (and field paths), and checks nothing was written. */
  async function refused(
    method: Method,
    url: string,
    body: unknown,
    status: number,
    paths: string[] = [],
    key = keys.clerk,
  ) {
    const before = await fulfillmentSnapshot(t.db)
    const res = await t.call(method, url, body, {
      key,
      headers: {
        'idempotency-key': `bad-${Math.random()}`,
        ...(typeof body === 'string' && { 'content-type': 'application/json' }),
      },
    })
    expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    if (paths.length > 0)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(paths)
    expect(await fulfillmentSnapshot(t.db)).toBe(before)
  }

  it('refuses bad transitions at the field', async () => {
    const url = `/v1/fulfillments/${id}/transitions`
    await refused('POST', url, {}, 400, ['to'])
    await refused('POST', url, { to: 'lost' }, 400, ['to'])
    await refused('POST', url, { to: 'picking', note: 'x' }, 400, ['note'])
    await refused('POST', url, { to: 'shipped' }, 400, ['carrier', 'trackingNumber'])
    await refused('POST', url, { to: 'shipped', carrier: 'ELTA' }, 400, ['trackingNumber'])
    await refused('POST', url, { to: 'shipped', carrier: ' ', trackingNumber: 'A1' }, 400, [
      'carrier',
    ])
    await refused('POST', url, { to: 'shipped', carrier: 'ELTA', trackingNumber: '#!' }, 400, [
      'trackingNumber',
    ])
    await refused('POST', url, { to: 'picking', carrier: 'ELTA' }, 400, ['carrier'])
    await refused('POST', url, '{"to": ', 400)
    await refused('POST', url, { to: 'picking' }, 403, [], keys.web)
    await refused('POST', `/v1/fulfillments/ful_nothing/transitions`, { to: 'picking' }, 404)
  })

  it('refuses bad pick-list queries and unknown fulfilments', async () => {
    await refused('GET', '/v1/fulfillments', undefined, 400, ['query.location'])
    await refused('GET', '/v1/fulfillments?location=ath-1&status=lost', undefined, 400, [
      'query.status',
    ])
    await refused('GET', '/v1/fulfillments?location=ath-1&limit=0', undefined, 400, [
      'query.limit',
    ])
    await refused('GET', '/v1/fulfillments?location=ath-1&cursor=zzz', undefined, 400, [
      'query.cursor',
    ])
    await refused('GET', '/v1/fulfillments/ful_nothing', undefined, 404)
    await refused('GET', `/v1/fulfillments/${id}`, undefined, 403, [], keys.web)
  })

  it('pages the pick list', async () => {
    for (let i = 0; i < 2; i++)
      await placeOrder(t, keys.web, {
        customer: { email: 'ana@example.com' },
        lines: [{ sku: 'TEE-M', quantity: 1 }],
        fulfillment: { method: 'ship', address: shipTo },
        payment: { method: 'cash_on_delivery' },
      })
    const list = (query: string) =>
      t.call('GET', `/v1/fulfillments?location=wh-1&limit=2${query}`, undefined, {
        key: keys.clerk,
      })
    const first = (await list('')).json()
    expect(first.data).toHaveLength(2)
    expect(first.data[0].id).toBe(id)
    const rest = (await list(`&cursor=${first.nextCursor}`)).json()
    expect(rest).toMatchObject({ nextCursor: null })
    expect(rest.data).toHaveLength(1)
  })
})
