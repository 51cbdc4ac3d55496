import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { adminKey, startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import type { ShopKeys } from '../orders/testing.js'
import {
  handOver,
  placed,
  policy,
  returnGoods,
  returnSnapshot,
  seedReturnsShop,
  shipTo,
} from './testing.js'

type Method = 'GET' | 'POST' | 'PUT'

describe.each(engines)('returns refuse bad input on %s', (engine) => {
  let t: TestApp
  let keys: ShopKeys
  let orderId: string
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    keys = await seedReturnsShop(t)
    const order = await placed(t, keys.web, {
      customer: { email: 'ana@example.com' },
      lines: [{ sku: 'TEE-M', quantity: 1 }],
      fulfillment: { method: 'ship', address: shipTo },
      payment: { method: 'cash_on_delivery' },
    })
    orderId = (await handOver(t, order)).id
  })

  /** Sends the request, expects the problem (and its field paths), and checks nothing was written. */
  async function refused(
    method: Method,
    url: string,
    body: unknown,
    status: number,
    paths: string[] = [],
    options: { key?: string; idempotencyKey?: string | null } = {},
  ) {
    const before = await returnSnapshot(t.db)
    const idempotencyKey = options.idempotencyKey === undefined ? `bad-${Math.random()}` : options.idempotencyKey
    const res = await t.call(method, url, body, {
      key: options.key ?? keys.clerk,
      headers: {
        ...(idempotencyKey && { 'idempotency-key': idempotencyKey }),
        ...(typeof body === 'string' && { 'content-type': 'application/json' }),
      },
    })
    expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    if (paths.length > 0)
      expect(res.json().errors.map((e: { path: string }) => e.path).sort()).toEqual([...paths].sort())
    expect(await returnSnapshot(t.db)).toBe(before)
  }

  const line = { sku: 'TEE-M', quantity: 1, reason: 'too big', condition: 'unopened' }

  it('refuses bad returns at the field that is wrong', async () => {
    const url = '/v1/returns'
    const ok = { orderId, lines: [line], location: 'ath-1' }
    await refused('POST', url, { ...ok, lines: [] }, 400, ['lines'])
    await refused('POST', url, { ...ok, lines: [{ sku: 'TEE M', quantity: 0, reason: ' ', condition: 'broken' }] }, 400, [
      'lines.0.sku',
      'lines.0.quantity',
      'lines.0.reason',
      'lines.0.condition',
    ])
    await refused('POST', url, { ...ok, lines: [line, line] }, 400, ['lines.1.sku'])
    await refused('POST', url, { ...ok, orderNumber: 1001, contact: 'ana@example.com' }, 400, ['orderId'])
    await refused('POST', url, { lines: [line], location: 'ath-1' }, 400, ['orderId'])
    await refused('POST', url, { orderNumber: 1001, lines: [line], location: 'ath-1' }, 400, ['contact'])
    await refused('POST', url, { ...ok, byPost: true }, 400, ['location'])
    await refused('POST', url, { orderId, lines: [line] }, 400, ['location'])
    await refused('POST', url, { ...ok, location: undefined, byPost: false }, 400, ['byPost'])
    await refused('POST', url, { ...ok, refund: 'cash' }, 400, ['refund'])
    await refused('POST', url, { ...ok, note: 'x' }, 400, ['note'])
    await refused('POST', url, { ...ok, location: 'nowhere' }, 400, ['location'])
    await refused('POST', url, { ...ok, location: 'ATH 1' }, 400, ['location'])
    await refused('POST', url, ok, 400, ['headers.idempotency-key'], { idempotencyKey: null })
    await refused('POST', url, '{"orderId": ', 400)
    await refused('POST', url, ok, 403, [], { key: await t.staffKey('analyst') })
    await refused('POST', url, { ...ok, orderId: 'ord_nothing' }, 404)
    await refused('POST', url, { orderNumber: 1001, contact: 'x', lines: [line], byPost: true }, 400, ['contact'], {
      key: keys.web,
    })
  })

  it('refuses bad exchanges at the field that is wrong', async () => {
    const url = '/v1/exchanges'
    const ok = { orderId, returnLines: [line], newLines: [{ sku: 'TEE-L', quantity: 1 }], location: 'ath-1' }
    await refused('POST', url, { ...ok, newLines: [] }, 400, ['newLines'])
    await refused('POST', url, { ...ok, newLines: [{ sku: 'TEE-L', quantity: 1 }, { sku: 'TEE-L', quantity: 2 }] }, 400, [
      'newLines.1.sku',
    ])
    await refused('POST', url, { ...ok, returnLines: [{ ...line, condition: 'meh' }] }, 400, ['returnLines.0.condition'])
    await refused('POST', url, { ...ok, address: shipTo }, 400, ['address'])
    await refused('POST', url, { ...ok, payment: { method: 'card' } }, 400, ['payment.card'])
    await refused('POST', url, { ...ok, payment: { method: 'in_store', code: 'GIFT-1' } }, 400, ['payment.code'])
    await refused('POST', url, { ...ok, payment: { method: 'cash_on_delivery' } }, 400, ['payment.method'])
    await refused('POST', url, { ...ok, newLines: [{ sku: 'NOPE', quantity: 1 }] }, 400, ['newLines.0.sku'])
    await refused('POST', url, { ...ok, returnLines: [line, line] }, 400, ['returnLines.1.sku'])
    await refused('POST', url, ok, 400, ['headers.idempotency-key'], { idempotencyKey: null })
  })

  it('refuses bad parcel receipts at the field that is wrong', async () => {
    const announced = await returnGoods(t, adminKey, { orderId, lines: [line], byPost: true })
    expect(announced.statusCode, announced.body).toBe(201)
    const url = `/v1/returns/${announced.json().id}/receive`
    const staff = { key: adminKey }
    await refused('POST', url, { location: 'ATH 1' }, 400, ['location'], staff)
    await refused('POST', url, { location: 'nowhere' }, 400, ['location'], staff)
    await refused('POST', url, { note: 'x' }, 400, ['note'], staff)
    await refused('POST', url, { lines: [{ sku: 'TEE-M', condition: 'soggy' }] }, 400, ['lines.0.condition'], staff)
    await refused('POST', url, { lines: [{ sku: 'TEE-M', condition: 'used' }, { sku: 'TEE-M', condition: 'damaged' }] }, 400, ['lines.1.sku'], staff)
    await refused('POST', url, { lines: [{ sku: 'SOCK-1', condition: 'used' }] }, 400, ['lines.0.sku'], staff)
    await refused('POST', url, {}, 400, ['headers.idempotency-key'], { ...staff, idempotencyKey: null })
    await refused('POST', url, '{"location": ', 400, [], staff)
    await refused('POST', url, {}, 403, [], { key: await t.staffKey('analyst') })
    await refused('POST', url, {}, 403, [], { key: keys.web })
    await refused('POST', url, {}, 403, [], { key: await t.staffKey('agent') })
    await refused('POST', url, { location: 'wh-1' }, 403, [], { key: keys.clerk })
    await refused('POST', url, { location: 'pop-1' }, 422, [], staff)
    await refused('POST', '/v1/returns/ret_nothing/receive', {}, 404, [], staff)
  })

  it('refuses bad policies and list queries', async () => {
    await refused('PUT', '/v1/return-policy', { ...policy, windowDays: -1 }, 400, ['windowDays'], { key: adminKey })
    await refused('PUT', '/v1/return-policy', { ...policy, acceptedConditions: ['mint'] }, 400, ['acceptedConditions.0'], { key: adminKey })
    await refused('PUT', '/v1/return-policy', { ...policy, idProofChannelKinds: ['fax'] }, 400, ['idProofChannelKinds.0'], { key: adminKey })
    await refused('PUT', '/v1/return-policy', { ...policy, quarantineLocation: null }, 400, ['quarantineLocation'], { key: adminKey })
    await refused('PUT', '/v1/return-policy', { ...policy, quarantineLocation: 'nowhere' }, 400, ['quarantineLocation'], { key: adminKey })
    await refused('PUT', '/v1/return-policy', { ...policy, postLocation: 'nowhere' }, 400, ['postLocation'], { key: adminKey })
    await refused('PUT', '/v1/return-policy', { ...policy, windowDays: undefined }, 400, ['windowDays'], { key: adminKey })
    await refused('PUT', '/v1/return-policy', policy, 403, [], { key: keys.clerk })
    await refused('GET', '/v1/returns?limit=0', undefined, 400, ['query.limit'])
    await refused('GET', '/v1/returns?cursor=zzz', undefined, 400, ['query.cursor'])
    await refused('GET', '/v1/returns', undefined, 403, [], { key: keys.web })
    await refused('GET', '/v1/returns/ret_nothing', undefined, 404)
    await refused('GET', '/v1/returns?status=lost', undefined, 400, ['query.status'])
    await refused('GET', `/v1/orders/${orderId}/returns?limit=500`, undefined, 400, ['query.limit'])
  })
})
