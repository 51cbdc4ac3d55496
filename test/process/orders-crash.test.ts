import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines } from '../support/engines.js'
import { httpRequest, ServerGroup, type Reply, type ServerOptions, type ServerProcess } from '../support/server-process.js'
import { serverDatabase, type ServerDatabase } from './data-dir.js'
import { createLocation, createTouchpoints, inParallel, sleep, stockOf, stockSkus, type Touchpoint } from './fixtures.js'

type Order = { id: string; number: number; status: string; customerId: string; lines: { sku: string; quantity: number }[] }
type Attempt = { key: string; touchpoint: Touchpoint; body: object }

const skus = ['CRASH-A', 'CRASH-B', 'CRASH-C']
const unitsEach = 40

/**
 * SIGKILL in the middle of a burst of order placements. What a client was told must be true
 * after the restart: each order it got a 201 for exists once, with its `order.placed` fact; an
 * attempt cut off is either a whole order or nothing, and re-sending it with its Idempotency-Key
 * never makes a second one; the stock held is exactly what the orders hold.
 */
describe.each(engines)('A server killed while orders are placed on %s', (engine) => {
  const servers = new ServerGroup()
  let storage: ServerDatabase
  let options: ServerOptions
  let server: ServerProcess
  let touchpoints: Touchpoint[] = []
  const store = 'store-c'

  beforeAll(async () => {
    storage = await serverDatabase(engine, 'orders-crash')
    options = storage.options
    server = await servers.start(options)
    await createLocation(server.url, store)
    touchpoints = await createTouchpoints(server.url, store, ['web', 'app', 'pos', 'kiosk', 'callcenter', 'social'], 'crash')
    await stockSkus(server.url, store, skus, unitsEach)
  })

  afterAll(async () => {
    await servers.stopAll()
    await storage.dispose()
  })

  const place = (url: string, a: Attempt) =>
    httpRequest<Order>(url, 'POST', '/v1/orders', a.body, { key: a.touchpoint.key, headers: { 'idempotency-key': a.key } })

  it('keeps every acknowledged order once, with its event, and lets cut-off attempts be retried safely', async () => {
    const attempts: Attempt[] = Array.from({ length: 90 }, (_, i) => {
      const touchpoint = touchpoints[i % touchpoints.length]!
      const atStore = touchpoint.kind === 'pos' || touchpoint.kind === 'kiosk'
      return {
        key: `crash-${i}`,
        touchpoint,
        body: {
          customer: { email: `crash${i}@example.com` },
          lines: [
            { sku: skus[i % 3]!, quantity: 1 + (i % 2) },
            { sku: skus[(i + 1) % 3]!, quantity: 1 },
          ],
          fulfillment: atStore
            ? { method: 'pickup', location: store }
            : { method: 'ship', address: { line1: `${i} Crash street`, city: 'Tehran', country: 'IR' } },
          payment: { method: atStore ? 'in_store' : 'cash_on_delivery' },
        },
      }
    })
    const acknowledged = new Map<string, Order>()
    let killed: Promise<unknown> | undefined
    await inParallel(attempts, 24, async (a) => {
      if (killed) return
      let reply: Reply<Order>
      try {
        reply = await place(server.url, a)
      } catch {
        return // the connection died with the server: unacknowledged
      }
      if (reply.status === 201) acknowledged.set(a.key, reply.body)
      else expect([409], JSON.stringify(reply.body)).toContain(reply.status)
      if (acknowledged.size === 20 && !killed) killed = server.kill('SIGKILL')
    })
    await killed
    expect(killed, 'the server was killed mid-burst').toBeDefined()

    server = await servers.start(options)
    // Every acknowledged order is there, unchanged.
    for (const [, order] of acknowledged) {
      const found = await httpRequest<Order>(server.url, 'GET', `/v1/orders/${order.id}`)
      expect(found.status).toBe(200)
      expect(found.body).toMatchObject({ id: order.id, number: order.number, lines: order.lines })
    }
    // Every attempt sent again with its key: the acknowledged ones answer the same order, the
    // others become orders now or are refused for stock; none is placed twice.
    const final = new Map<string, Order>()
    await inParallel(attempts, 8, async (a) => {
      const reply = await place(server.url, a)
      if (reply.status === 201) final.set(a.key, reply.body)
      else expect(reply.status, JSON.stringify(reply.body)).toBe(409)
    })
    for (const [key, order] of acknowledged) expect(final.get(key)?.id).toBe(order.id)

    const book: Order[] = []
    let cursor: string | null = null
    do {
      const page: Reply<{ data: Order[]; nextCursor: string | null }> = await httpRequest(
        server.url,
        'GET',
        `/v1/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      book.push(...page.body.data)
      cursor = page.body.nextCursor
    } while (cursor)
    expect(book.map((o) => o.id).sort()).toEqual([...final.values()].map((o) => o.id).sort())

    // The stock held is exactly what the orders hold: nothing from a cut-off attempt lingers.
    for (const sku of skus) {
      const held = book.flatMap((o) => o.lines).filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0)
      const stock = await stockOf(server.url, sku)
      expect(stock.locations[0]).toMatchObject({ onHand: unitsEach, reserved: held })
    }

    // Each order's `order.placed` fact reached its customer's timeline, once.
    const missing: string[] = []
    for (let round = 0; round < 50; round++) {
      missing.length = 0
      for (const order of book) {
        const timeline = await httpRequest<{ data: { name: string; properties: { orderId?: string } }[] }>(
          server.url,
          'GET',
          `/v1/customers/${order.customerId}/timeline?type=domain&limit=100`,
        )
        const placed = timeline.body.data.filter((e) => e.name === 'order.placed' && e.properties.orderId === order.id)
        expect(placed.length).toBeLessThanOrEqual(1)
        if (placed.length === 0) missing.push(order.id)
      }
      if (missing.length === 0) break
      await sleep(200)
    }
    expect(missing).toEqual([])
  })
})
