import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { createLocations, receive, reconcile, seedSkus } from './testing.js'

type Case = {
  name: string
  method: 'GET' | 'POST' | 'PUT'
  url: string
  body?: unknown
  raw?: string
  status: number
  paths?: string[]
  type?: string
}

const line = { sku: 'TEE-M', quantity: 1, location: 'ath-1' }
const reservation = { lines: [line], ttlSeconds: 60, reference: 'bad-1' }
const movement = {
  sku: 'TEE-M',
  location: 'ath-1',
  kind: 'receipt',
  quantity: 3,
  reason: 'delivery',
}
const transfer = { sku: 'TEE-M', from: 'ath-1', to: 'ath-2', quantity: 1 }

const cases: Case[] = [
  {
    name: 'reservation: malformed JSON',
    method: 'POST',
    url: '/v1/inventory/reservations',
    raw: '{"lines": [',
    status: 400,
    type: 'malformed-request',
  },
  {
    name: 'reservation: huge body',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: { ...reservation, reference: 'x'.repeat(2_000_000) },
    status: 413,
    type: 'payload-too-large',
  },
  {
    name: 'reservation: missing fields',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: { lines: [{ location: 'ath-1' }] },
    status: 400,
    paths: ['lines.0.sku', 'lines.0.quantity', 'reference'],
  },
  {
    name: 'reservation: wrong types',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: { ...reservation, lines: [{ ...line, quantity: '1' }], ttlSeconds: 'soon' },
    status: 400,
    paths: ['lines.0.quantity', 'ttlSeconds'],
  },
  {
    name: 'reservation: unknown fields',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: { ...reservation, colour: 'red', lines: [{ ...line, gift: true }] },
    status: 400,
    paths: ['colour', 'lines.0.gift'],
  },
  {
    name: 'reservation: zero, negative, fractional quantities',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: {
      ...reservation,
      lines: [
        { ...line, quantity: 0 },
        { ...line, quantity: -1 },
        { ...line, quantity: 1.5 },
      ],
    },
    status: 400,
    paths: ['lines.0.quantity', 'lines.1.quantity', 'lines.2.quantity'],
  },
  {
    name: 'reservation: no lines',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: { ...reservation, lines: [] },
    status: 400,
    paths: ['lines'],
  },
  {
    name: 'reservation: unknown SKU and location',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: {
      ...reservation,
      lines: [
        { ...line, sku: 'NOPE' },
        { ...line, location: 'nowhere' },
      ],
    },
    status: 400,
    paths: ['lines.0.sku', 'lines.1.location'],
  },
  {
    name: 'reservation: unknown SKU without location',
    method: 'POST',
    url: '/v1/inventory/reservations',
    body: { ...reservation, lines: [{ sku: 'NOPE', quantity: 1 }] },
    status: 400,
    paths: ['lines.0.sku'],
  },
  {
    name: 'reservation: unknown id to confirm',
    method: 'POST',
    url: '/v1/inventory/reservations/res_nope/confirm',
    status: 404,
  },
  {
    name: 'reservation: unknown id to release',
    method: 'POST',
    url: '/v1/inventory/reservations/res_nope/release',
    status: 404,
  },
  {
    name: 'reservation: unknown id to read',
    method: 'GET',
    url: '/v1/inventory/reservations/res_nope',
    status: 404,
  },
  {
    name: 'movement: malformed JSON',
    method: 'POST',
    url: '/v1/inventory/movements',
    raw: '{"sku":',
    status: 400,
    type: 'malformed-request',
  },
  {
    name: 'movement: huge body',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, reason: 'x'.repeat(2_000_000) },
    status: 413,
  },
  {
    name: 'movement: missing fields',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { sku: 'TEE-M' },
    status: 400,
    paths: ['location', 'kind', 'quantity', 'reason'],
  },
  {
    name: 'movement: unknown kind and field',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, kind: 'sale', by: 'me' },
    status: 400,
    paths: ['kind', 'by'],
  },
  {
    name: 'movement: return is not for HTTP',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, kind: 'return' },
    status: 400,
    paths: ['kind'],
  },
  {
    name: 'movement: zero receipt',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, quantity: 0 },
    status: 400,
    paths: ['quantity'],
  },
  {
    name: 'movement: negative receipt',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, quantity: -2 },
    status: 400,
    paths: ['quantity'],
  },
  {
    name: 'movement: fractional receipt',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, quantity: 2.5 },
    status: 400,
    paths: ['quantity'],
  },
  {
    name: 'movement: zero adjustment',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, kind: 'adjustment', quantity: 0 },
    status: 400,
    paths: ['quantity'],
  },
  {
    name: 'movement: negative count',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, kind: 'count', quantity: -1 },
    status: 400,
    paths: ['quantity'],
  },
  {
    name: 'movement: unknown SKU and location',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, sku: 'NOPE', location: 'nowhere' },
    status: 400,
    paths: ['sku', 'location'],
  },
  {
    name: 'movement: malformed SKU',
    method: 'POST',
    url: '/v1/inventory/movements',
    body: { ...movement, sku: 'a b/c' },
    status: 400,
    paths: ['sku'],
  },
  {
    name: 'transfer: malformed JSON',
    method: 'POST',
    url: '/v1/inventory/transfers',
    raw: '[',
    status: 400,
    type: 'malformed-request',
  },
  {
    name: 'transfer: missing and unknown fields',
    method: 'POST',
    url: '/v1/inventory/transfers',
    body: { sku: 'TEE-M', via: 'truck' },
    status: 400,
    paths: ['from', 'to', 'quantity', 'via'],
  },
  {
    name: 'transfer: to itself',
    method: 'POST',
    url: '/v1/inventory/transfers',
    body: { ...transfer, to: 'ath-1' },
    status: 400,
    paths: ['to'],
  },
  {
    name: 'transfer: zero and fractional quantity',
    method: 'POST',
    url: '/v1/inventory/transfers',
    body: { ...transfer, quantity: 0.5 },
    status: 400,
    paths: ['quantity'],
  },
  {
    name: 'transfer: unknown SKU and locations',
    method: 'POST',
    url: '/v1/inventory/transfers',
    body: { ...transfer, sku: 'NOPE', from: 'x1', to: 'x2' },
    status: 400,
    paths: ['sku', 'from', 'to'],
  },
  {
    name: 'transfer list: no location, unknown direction and status',
    method: 'GET',
    url: '/v1/inventory/transfers?direction=sideways&status=lost',
    status: 400,
    paths: ['query.location', 'query.direction', 'query.status'],
  },
  {
    name: 'transfer list: a cursor it never gave out',
    method: 'GET',
    url: '/v1/inventory/transfers?location=ath-1&cursor=zzz',
    status: 400,
    paths: ['query.cursor'],
  },
  {
    name: 'transfer: unknown id to receive',
    method: 'POST',
    url: '/v1/inventory/transfers/trf_nope/receive',
    status: 404,
  },
  {
    name: 'settings: malformed JSON',
    method: 'PUT',
    url: '/v1/inventory/TEE-M/locations/ath-1',
    raw: '{',
    status: 400,
    type: 'malformed-request',
  },
  {
    name: 'settings: negative and fractional',
    method: 'PUT',
    url: '/v1/inventory/TEE-M/locations/ath-1',
    body: { safetyStock: -1, lowStockThreshold: 1.5 },
    status: 400,
    paths: ['safetyStock', 'lowStockThreshold'],
  },
  {
    name: 'settings: empty body',
    method: 'PUT',
    url: '/v1/inventory/TEE-M/locations/ath-1',
    body: {},
    status: 400,
  },
  {
    name: 'settings: unknown field',
    method: 'PUT',
    url: '/v1/inventory/TEE-M/locations/ath-1',
    body: { safetyStock: 1, reorderPoint: 3 },
    status: 400,
    paths: ['reorderPoint'],
  },
  {
    name: 'settings: unknown SKU and location',
    method: 'PUT',
    url: '/v1/inventory/NOPE/locations/nowhere',
    body: { safetyStock: 1 },
    status: 400,
    paths: ['params.sku', 'params.location'],
  },
  { name: 'stock: unknown SKU', method: 'GET', url: '/v1/inventory/NOPE', status: 404 },
  {
    name: 'stock: malformed SKU',
    method: 'GET',
    url: '/v1/inventory/a%20b',
    status: 400,
    paths: ['params.sku'],
  },
  { name: 'ledger: unknown SKU', method: 'GET', url: '/v1/inventory/NOPE/ledger', status: 404 },
  {
    name: 'ledger: bad kind, limit and cursor',
    method: 'GET',
    url: '/v1/inventory/TEE-M/ledger?kind=theft&limit=0',
    status: 400,
    paths: ['query.kind', 'query.limit'],
  },
  {
    name: 'ledger: forged cursor',
    method: 'GET',
    url: '/v1/inventory/TEE-M/ledger?cursor=WyJ4Il0',
    status: 400,
    paths: ['query.cursor'],
  },
  {
    name: 'list: missing location',
    method: 'GET',
    url: '/v1/inventory',
    status: 400,
    paths: ['query.location'],
  },
  {
    name: 'list: unknown location',
    method: 'GET',
    url: '/v1/inventory?location=nowhere',
    status: 400,
    paths: ['query.location'],
  },
]

describe.each(engines)('inventory refuses bad input on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
    await createLocations(t, 'ath-1', 'ath-2')
    await seedSkus(t, 'TEE-M')
    await receive(t, 'TEE-M', 'ath-1', 5)
  })
  afterAll(() => t.close())

  async function written() {
    const counts = await sql<{ n: number }>`
      select ((select count(*) from inventory.ledger_entry) + (select count(*) from inventory.reservation)
        + (select count(*) from inventory.transfer) + (select count(*) from kernel.outbox))::int as n`.execute(
      t.db,
    )
    return { rows: await reconcile(t.db), n: counts.rows[0]!.n }
  }

  it.each(cases)('$name', async (c) => {
    const before = await written()
    const res = await t.call(
      c.method,
      c.url,
      c.raw ?? c.body,
      c.raw ? { headers: { 'content-type': 'application/json' } } : {},
    )
    expect(res.statusCode, res.body.slice(0, 300)).toBe(c.status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    if (c.type) expect(res.json().type).toBe(`https://omnia.dev/problems/${c.type}`)
    if (c.paths)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(
        expect.arrayContaining(c.paths),
      )
    expect(await written()).toEqual(before)
  })

  it('asks for the right scope on every route', async () => {
    const marketer = await t.staffKey('marketer')
    const web = await t.touchpointKey('web', 'web')
    const reserve = await t.call('POST', '/v1/inventory/reservations', reservation, {
      key: marketer,
    })
    expect(reserve.json()).toMatchObject({ status: 403, requiredScope: 'inventory:reserve' })
    const move = await t.call('POST', '/v1/inventory/movements', movement, { key: web })
    expect(move.json()).toMatchObject({ status: 403, requiredScope: 'inventory:write' })
    const settings = await t.call(
      'PUT',
      '/v1/inventory/TEE-M/locations/ath-1',
      { safetyStock: 1 },
      { key: web },
    )
    expect(settings.json()).toMatchObject({ status: 403, requiredScope: 'inventory:write' })
    expect(
      (await t.call('GET', '/v1/inventory/TEE-M', undefined, { key: marketer })).statusCode,
    ).toBe(200)
  })
})
