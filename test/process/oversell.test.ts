import { rmSync } from 'node:fs'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../support/db.js'
import { engines } from '../support/engines.js'
import { httpRequest, ServerGroup, type Reply } from '../support/server-process.js'
import { templateDataDir } from './data-dir.js'
import { createLocation, createTouchpoints, ledgerOf, stockOf, stockSkus, type StockView, type Touchpoint } from './fixtures.js'

const insufficientStock = 'https://omnia.dev/problems/insufficient-stock'
const touchpointKinds = ['web', 'app', 'pos', 'kiosk', 'callcenter'] as const

/** Every number named `available` anywhere in a problem body (the shortage it reports). */
function availableFigures(value: unknown): number[] {
  if (Array.isArray(value)) return value.flatMap(availableFigures)
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([k, v]) => (k === 'available' && typeof v === 'number' ? [v] : availableFigures(v)))
}

function expectSound(stock: StockView) {
  expect(stock.available).toBeGreaterThanOrEqual(0)
  for (const l of stock.locations) {
    expect(l.reserved).toBeGreaterThanOrEqual(0)
    expect(l.reserved).toBeLessThanOrEqual(l.onHand)
    expect(l.available).toBeGreaterThanOrEqual(0)
  }
}

/**
 * The embedded engine is one process by design; on PostgreSQL two server processes share the
 * database, so the guard must hold across processes, not just inside one.
 */
describe.each(engines)('Overselling must be impossible on %s', (engine) => {
  const servers = new ServerGroup()
  let database: TestDatabase | undefined
  let dataDir: string | undefined
  let urls: string[] = []
  let touchpoints: Touchpoint[] = []
  const store = 'store-1'

  beforeAll(async () => {
    if (engine === 'pglite') {
      dataDir = await templateDataDir('oversell')
      urls = [(await servers.start({ dataDir })).url]
    } else {
      database = await openTestDatabase('postgres', 1)
      // One after the other: each start ensures the admin key, and the first creates it.
      for (let i = 0; i < 2; i++) urls.push((await servers.start({ databaseUrl: database.url! })).url)
    }
    await createLocation(urls[0]!, store)
    touchpoints = await createTouchpoints(urls[0]!, store, touchpointKinds)
  })

  afterAll(async () => {
    await servers.stopAll()
    await database?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('grants exactly seven of 200 concurrent one-unit requests from five touchpoints for seven units', async () => {
    const sku = 'OVS-TEE-7'
    await stockSkus(urls[0]!, store, [sku], 7)

    // A socket per request, so all 200 really are in flight together.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 200 })
    let bursting = true
    const seen: StockView[] = []
    const watch = (async () => {
      while (bursting) seen.push(await stockOf(urls[seen.length % urls.length]!, sku))
    })()
    const replies: Reply[] = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        httpRequest(
          urls[i % urls.length]!,
          'POST',
          '/v1/inventory/reservations',
          { lines: [{ sku, quantity: 1 }], ttlSeconds: 900, reference: `burst-${i}` },
          { key: touchpoints[i % touchpoints.length]!.key, agent },
        ),
      ),
    )
    bursting = false
    await watch
    agent.destroy()

    const statuses = replies.map((r) => r.status)
    const granted = replies.filter((r) => r.status === 201)
    const refused = replies.filter((r) => r.status === 409)
    expect(statuses.filter((s) => s !== 201 && s !== 409), 'only 201 and 409 are acceptable').toEqual([])
    expect(granted).toHaveLength(7)
    expect(refused).toHaveLength(193)
    expect(new Set(granted.map((r) => r.body.id)).size).toBe(7)
    for (const r of granted) expect(r.body).toMatchObject({ status: 'active', lines: [expect.objectContaining({ sku, quantity: 1 })] })
    for (const r of refused) {
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(r.body).toMatchObject({ type: insufficientStock, status: 409 })
      expect(JSON.stringify(r.body)).toContain(sku)
      expect(availableFigures(r.body), 'the refusal says what is available').toContain(0)
    }

    // Stock never went negative, as seen from either process during the burst and after it.
    expect(seen.length).toBeGreaterThan(0)
    seen.forEach(expectSound)
    for (const url of urls) {
      const stock = await stockOf(url, sku)
      expectSound(stock)
      expect(stock.available).toBe(0)
      expect(stock.locations).toEqual([expect.objectContaining({ location: store, onHand: 7, reserved: 7, available: 0 })])
    }
    const ledger = await ledgerOf(urls[urls.length - 1]!, sku)
    expect(ledger.reduce((sum, e) => sum + e.quantity, 0)).toBe(7)
  })

  it('never grants more than is on hand to mixed quantities, and every refusal was justified', async () => {
    const sku = 'OVS-MUG-20'
    const onHand = 20
    await stockSkus(urls[0]!, store, [sku], onHand)
    // A fixed spread of asks (1–4 units) whose total, 150, is far above what is on hand.
    const asks = Array.from({ length: 60 }, (_, i) => 1 + ((i * 7) % 4))
    const agent = new http.Agent({ keepAlive: true, maxSockets: 60 })
    const replies = await Promise.all(
      asks.map((quantity, i) =>
        httpRequest(
          urls[i % urls.length]!,
          'POST',
          '/v1/inventory/reservations',
          { lines: [{ sku, quantity }], ttlSeconds: 900, reference: `mixed-${i}` },
          { key: touchpoints[(i * 3) % touchpoints.length]!.key, agent },
        ),
      ),
    )
    agent.destroy()
    expect(replies.map((r) => r.status).filter((s) => s !== 201 && s !== 409)).toEqual([])
    const grantedUnits = asks.reduce((sum, q, i) => sum + (replies[i]!.status === 201 ? q : 0), 0)
    expect(grantedUnits).toBeLessThanOrEqual(onHand)
    // Each refusal asked for more than was left once the burst had settled.
    asks.forEach((q, i) => {
      if (replies[i]!.status === 409) expect(q).toBeGreaterThan(onHand - grantedUnits)
    })
    const stock = await stockOf(urls[0]!, sku)
    expectSound(stock)
    expect(stock.locations[0]).toMatchObject({ onHand, reserved: grantedUnits, available: onHand - grantedUnits })
  })

  it('keeps the ledger equal to the stock on hand after confirmations and releases', async () => {
    const sku = 'OVS-CAP-12'
    await stockSkus(urls[0]!, store, [sku], 12)
    const reserved = await Promise.all(
      touchpoints.map((tp, i) =>
        httpRequest(urls[i % urls.length]!, 'POST', '/v1/inventory/reservations', { lines: [{ sku, quantity: 2 }], ttlSeconds: 900, reference: `cap-${i}` }, { key: tp.key }),
      ),
    )
    expect(reserved.map((r) => r.status)).toEqual([201, 201, 201, 201, 201])
    // Confirm and release concurrently, through both processes on PostgreSQL.
    const settled = await Promise.all(
      reserved.map((r, i) =>
        httpRequest(urls[(i + 1) % urls.length]!, 'POST', `/v1/inventory/reservations/${r.body.id}/${i < 3 ? 'confirm' : 'release'}`, {}),
      ),
    )
    expect(settled.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    const views = await Promise.all(reserved.map((r) => httpRequest(urls[0]!, 'GET', `/v1/inventory/reservations/${r.body.id}`)))
    expect(views.map((v) => v.body.status)).toEqual(['confirmed', 'confirmed', 'confirmed', 'released', 'released'])

    const stock = await stockOf(urls[0]!, sku)
    expectSound(stock)
    // Three confirmed reservations of two units each left the building; the released four came back.
    expect(stock.locations[0]).toMatchObject({ onHand: 6, reserved: 0, available: 6 })
    const ledger = await ledgerOf(urls[0]!, sku)
    expect(ledger.reduce((sum, e) => sum + e.quantity, 0)).toBe(stock.locations[0]!.onHand)
  })
})
