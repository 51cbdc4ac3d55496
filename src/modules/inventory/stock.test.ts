import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { recordMovements } from './movements.js'
import type { MovementInput } from './schema.js'
import {
  createChannel,
  createLocations,
  move,
  outboxEvents,
  receive,
  reconcile,
  seedSkus,
} from './testing.js'

describe.each(engines)('stock on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    await createLocations(
      t,
      'ath-1',
      'ath-2',
      { code: 'wh-1', shipFrom: true },
      { code: 'back-room', shipFrom: false },
    )
    await seedSkus(t, 'TEE-M', 'MUG-1')
  })

  const stock = async (sku: string, key?: string) =>
    (await t.call('GET', `/v1/inventory/${sku}`, undefined, key ? { key } : {})).json()
  const reserve = (sku: string, quantity: number, location = 'ath-1') =>
    t.call('POST', '/v1/inventory/reservations', {
      lines: [{ sku, quantity, location }],
      reference: 'r',
    })

  it('records receipts, adjustments and counts in the ledger, a count as its difference', async () => {
    const first = await receive(t, 'TEE-M', 'ath-1', 10)
    expect(first.stock).toMatchObject({
      sku: 'TEE-M',
      location: 'ath-1',
      onHand: 10,
      available: 10,
    })
    expect(first.entries).toEqual([
      expect.objectContaining({
        kind: 'receipt',
        quantity: 10,
        reason: 'test receipt',
        actor: 'admin:OMNIA_ADMIN_KEY',
      }),
    ])
    await move(t, 'TEE-M', 'ath-1', 'adjustment', -3)
    const counted = await move(t, 'TEE-M', 'ath-1', 'count', 4)
    expect(counted.entries[0]).toMatchObject({ kind: 'count', quantity: -3 })
    expect(counted.stock.onHand).toBe(4)
    const ledger = (await t.call('GET', '/v1/inventory/TEE-M/ledger')).json()
    expect(
      ledger.data.map((e: { kind: string; quantity: number }) => [e.kind, e.quantity]),
    ).toEqual([
      ['count', -3],
      ['adjustment', -3],
      ['receipt', 10],
    ])
    expect(await reconcile(t.db)).toEqual([expect.objectContaining({ onHand: 4, ledger: 4 })])
  })

  it('refuses to take out reserved units, by adjustment or by count, writing nothing', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    expect((await reserve('TEE-M', 3)).statusCode).toBe(201)
    const adjust = await t.call('POST', '/v1/inventory/movements', {
      sku: 'TEE-M',
      location: 'ath-1',
      kind: 'adjustment',
      quantity: -3,
      reason: 'damaged',
    })
    expect(adjust.statusCode).toBe(409)
    expect(adjust.json()).toMatchObject({
      type: 'https://omnia.dev/problems/insufficient-stock',
      shortages: [{ sku: 'TEE-M', location: 'ath-1', requested: 3, available: 2 }],
    })
    const count = await t.call('POST', '/v1/inventory/movements', {
      sku: 'TEE-M',
      location: 'ath-1',
      kind: 'count',
      quantity: 1,
      reason: 'stocktake',
    })
    expect(count.statusCode).toBe(409)
    expect(await reconcile(t.db)).toEqual([
      expect.objectContaining({ onHand: 5, reserved: 3, ledger: 5 }),
    ])
    expect((await move(t, 'TEE-M', 'ath-1', 'adjustment', -2)).stock).toMatchObject({
      onHand: 3,
      reserved: 3,
      available: 0,
    })
  })

  it('records thousands of movements in one set-based call, in order', async () => {
    const inputs: MovementInput[] = Array.from({ length: 2000 }, (_, i) => ({
      sku: i % 2 ? 'TEE-M' : 'MUG-1',
      location: ['ath-1', 'ath-2', 'wh-1'][i % 3]!,
      kind: 'receipt',
      quantity: 1 + (i % 4),
      reason: 'import',
    }))
    inputs.push({
      sku: 'TEE-M',
      location: 'ath-1',
      kind: 'count',
      quantity: 7,
      reason: 'stocktake',
    })
    inputs.push({
      sku: 'TEE-M',
      location: 'ath-1',
      kind: 'adjustment',
      quantity: -2,
      reason: 'damaged',
    })
    const { entries } = await inTransaction(t.db, (tx) =>
      recordMovements(tx, t.clock, 'importer', inputs),
    )
    expect(entries).toHaveLength(2002)
    const rows = await reconcile(t.db)
    expect(rows).toHaveLength(6)
    for (const row of rows) expect(row.onHand).toBe(row.ledger)
    expect(rows.find((r) => r.sku === 'TEE-M' && r.location === 'ath-1')!.onHand).toBe(5)
  })

  it('moves stock between locations: out at once, in when received, once', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    await t.call('PUT', '/v1/inventory/TEE-M/locations/ath-1', { safetyStock: 1 })
    const tooMany = await t.call('POST', '/v1/inventory/transfers', {
      sku: 'TEE-M',
      from: 'ath-1',
      to: 'ath-2',
      quantity: 5,
    })
    expect(tooMany.statusCode).toBe(409)
    expect(tooMany.json().shortages).toEqual([
      { sku: 'TEE-M', location: 'ath-1', requested: 5, available: 4 },
    ])
    const sent = await t.call('POST', '/v1/inventory/transfers', {
      sku: 'TEE-M',
      from: 'ath-1',
      to: 'ath-2',
      quantity: 3,
      reference: 'PO-9',
    })
    expect(sent.statusCode).toBe(201)
    expect(sent.json()).toMatchObject({
      status: 'in_transit',
      from: 'ath-1',
      to: 'ath-2',
      quantity: 3,
      receivedAt: null,
    })
    expect(
      (await stock('TEE-M')).locations.map((l: { location: string; onHand: number }) => [
        l.location,
        l.onHand,
      ]),
    ).toEqual([['ath-1', 2]])
    const received = await t.call('POST', `/v1/inventory/transfers/${sent.json().id}/receive`)
    expect(received.json()).toMatchObject({
      status: 'received',
      receivedAt: '2026-03-01T10:00:00.000Z',
    })
    const twice = await t.call('POST', `/v1/inventory/transfers/${sent.json().id}/receive`)
    expect(twice.statusCode).toBe(409)
    expect(twice.json()).toMatchObject({ from: 'received', to: 'received', allowed: [] })
    expect((await t.call('GET', `/v1/inventory/transfers/${sent.json().id}`)).json().status).toBe(
      'received',
    )
    const kinds = (await t.call('GET', '/v1/inventory/TEE-M/ledger?location=ath-2')).json().data
    expect(kinds).toEqual([
      expect.objectContaining({ kind: 'transfer_in', quantity: 3, reference: sent.json().id }),
    ])
    expect((await reconcile(t.db)).map((r) => [r.location, r.onHand, r.ledger])).toEqual([
      ['ath-1', 2, 2],
      ['ath-2', 3, 3],
    ])
  })

  it('answers the same stock to every touchpoint, with available to promise per channel', async () => {
    await receive(t, 'TEE-M', 'ath-1', 4)
    await receive(t, 'TEE-M', 'ath-2', 6)
    await receive(t, 'TEE-M', 'back-room', 20)
    await t.call('PUT', '/v1/inventory/TEE-M/locations/ath-2', { safetyStock: 1 })
    await reserve('TEE-M', 1, 'ath-1')
    const keys = [
      await createChannel(t, 'web', 'web'),
      await createChannel(t, 'app', 'app', { sellsFrom: ['ath-2'] }),
      await createChannel(t, 'pos-ath-1', 'pos', { location: 'ath-1' }),
      await createChannel(t, 'kiosk-back', 'kiosk', { location: 'back-room' }),
      await createChannel(t, 'callcenter', 'callcenter'),
    ]
    const answers = await Promise.all(keys.map((key) => stock('TEE-M', key)))
    for (const answer of answers) expect(answer).toEqual(answers[0])
    expect(answers[0]).toEqual({
      sku: 'TEE-M',
      available: 3 + 5 + 20,
      locations: [
        {
          location: 'ath-1',
          onHand: 4,
          reserved: 1,
          safetyStock: 0,
          available: 3,
          lowStockThreshold: null,
        },
        {
          location: 'ath-2',
          onHand: 6,
          reserved: 0,
          safetyStock: 1,
          available: 5,
          lowStockThreshold: null,
        },
        {
          location: 'back-room',
          onHand: 20,
          reserved: 0,
          safetyStock: 0,
          available: 20,
          lowStockThreshold: null,
        },
      ],
      channels: { app: 5, callcenter: 8, 'kiosk-back': 20, 'pos-ath-1': 3, web: 8 },
    })
  })

  it("lists a location's stock a page at a time", async () => {
    await receive(t, 'TEE-M', 'ath-1', 1)
    await receive(t, 'MUG-1', 'ath-1', 2)
    await receive(t, 'MUG-1', 'ath-2', 3)
    const first = (await t.call('GET', '/v1/inventory?location=ath-1&limit=1')).json()
    expect(first.data).toEqual([expect.objectContaining({ sku: 'MUG-1', onHand: 2 })])
    const second = (
      await t.call('GET', `/v1/inventory?location=ath-1&limit=1&cursor=${first.nextCursor}`)
    ).json()
    expect(second).toEqual({
      data: [expect.objectContaining({ sku: 'TEE-M', onHand: 1 })],
      nextCursor: null,
    })
  })

  it('pages through the ledger newest first, filtered by kind', async () => {
    for (let i = 1; i <= 5; i++) await receive(t, 'TEE-M', 'ath-1', i)
    await move(t, 'TEE-M', 'ath-1', 'adjustment', -1)
    const seen: number[] = []
    let cursor: string | null = ''
    while (cursor !== null) {
      const page: { data: { quantity: number }[]; nextCursor: string | null } = (
        await t.call(
          'GET',
          `/v1/inventory/TEE-M/ledger?kind=receipt&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        )
      ).json()
      seen.push(...page.data.map((e) => e.quantity))
      cursor = page.nextCursor
    }
    expect(seen).toEqual([5, 4, 3, 2, 1])
  })

  it('sets safety stock and thresholds, audited with before and after', async () => {
    await receive(t, 'TEE-M', 'ath-1', 10)
    const manager = await t.staffKey('manager')
    const res = await t.call(
      'PUT',
      '/v1/inventory/TEE-M/locations/ath-1',
      { safetyStock: 4, lowStockThreshold: 5 },
      { key: manager },
    )
    expect(res.json()).toEqual({
      sku: 'TEE-M',
      location: 'ath-1',
      onHand: 10,
      reserved: 0,
      safetyStock: 4,
      available: 6,
      lowStockThreshold: 5,
    })
    const cleared = await t.call(
      'PUT',
      '/v1/inventory/TEE-M/locations/ath-1',
      { lowStockThreshold: null },
      { key: manager },
    )
    expect(cleared.json()).toMatchObject({ safetyStock: 4, lowStockThreshold: null })
    const audit = (await t.call('GET', '/v1/audit?resource=stock')).json().data
    expect(audit[0]).toMatchObject({
      action: 'inventory.settings_changed',
      resourceId: 'TEE-M@ath-1',
      actor: 'manager:test manager',
    })
    expect(audit[0].before).toMatchObject({ lowStockThreshold: 5 })
    expect(audit[0].after).toMatchObject({ lowStockThreshold: null })
  })

  it('appends low, out-of-stock and back-in-stock events when available crosses them', async () => {
    await receive(t, 'TEE-M', 'ath-1', 10)
    await t.call('PUT', '/v1/inventory/TEE-M/locations/ath-1', { lowStockThreshold: 3 })
    const web = await createChannel(t, 'web', 'web')
    await t.call(
      'POST',
      '/v1/inventory/reservations',
      { lines: [{ sku: 'TEE-M', quantity: 6 }], reference: 'a' },
      { key: web },
    )
    await t.call(
      'POST',
      '/v1/inventory/reservations',
      { lines: [{ sku: 'TEE-M', quantity: 1 }], reference: 'b' },
      { key: web },
    )
    const last = (
      await t.call(
        'POST',
        '/v1/inventory/reservations',
        { lines: [{ sku: 'TEE-M', quantity: 3 }], reference: 'c' },
        { key: web },
      )
    ).json()
    await t.call('POST', `/v1/inventory/reservations/${last.id}/release`)
    const levels = (await outboxEvents(t.db)).filter((e) => !/reserv|sold/.test(e.name))
    expect(levels.map((e) => [e.name, e.payload.previousAvailable, e.payload.available])).toEqual([
      ['inventory.back_in_stock', 0, 10],
      ['inventory.low', 4, 3],
      ['inventory.out_of_stock', 3, 0],
      ['inventory.back_in_stock', 0, 3],
    ])
    expect(levels[1]).toMatchObject({
      channel: 'web',
      payload: { version: 1, sku: 'TEE-M', location: 'ath-1', lowStockThreshold: 3 },
    })
    const reserved = await outboxEvents(t.db, 'inventory.reserved')
    expect(reserved).toHaveLength(3)
    expect(reserved[0]).toMatchObject({
      channel: 'web',
      payload: { reference: 'a', lines: [{ sku: 'TEE-M', location: 'ath-1', quantity: 6 }] },
    })
  })
})
