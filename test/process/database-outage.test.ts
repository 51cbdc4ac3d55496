import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpRequest, ServerGroup, type Reply, type ServerProcess } from '../support/server-process.js'
import { serverDatabase, type ServerDatabase } from './data-dir.js'
import { createLocation, createTouchpoints, inParallel, sleep, stockSkus, type Touchpoint } from './fixtures.js'

type Order = { id: string; lines: { sku: string; quantity: number }[] }

/**
 * PostgreSQL drops every connection of the server (a restart, a failover, an administrator's
 * pg_terminate_backend), once while it is idle and once in the middle of a burst of orders. The
 * server must stay up, answer the requests that were cut off with an error, and place orders
 * again at once; attempts retried with their Idempotency-Key end as one order each.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('A server whose PostgreSQL connections are cut', () => {
  const servers = new ServerGroup()
  let storage: ServerDatabase
  let server: ServerProcess
  let web: Touchpoint
  let database: string
  const store = 'store-o'
  const skus = ['OUT-A', 'OUT-B']

  beforeAll(async () => {
    storage = await serverDatabase('postgres', 'db-outage')
    server = await servers.start(storage.options)
    database = new URL(storage.options.databaseUrl!).pathname.slice(1)
    await createLocation(server.url, store)
    web = (await createTouchpoints(server.url, store, ['web'], 'outage'))[0]!
    await stockSkus(server.url, store, skus, 1_000)
  })

  afterAll(async () => {
    await servers.stopAll()
    await storage.dispose()
  })

  /** Terminates every backend connected to the server's database; answers how many. */
  async function cutConnections(): Promise<number> {
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
    await admin.connect()
    try {
      const cut = await admin.query(
        'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()) t',
        [database],
      )
      return cut.rows[0].n
    } finally {
      await admin.end()
    }
  }

  const place = (i: number) =>
    httpRequest<Order>(
      server.url,
      'POST',
      '/v1/orders',
      {
        customer: { email: `outage${i}@example.com` },
        lines: [{ sku: skus[i % 2]!, quantity: 1 }],
        fulfillment: { method: 'ship', address: { line1: `${i} Outage street`, city: 'Tehran', country: 'IR' } },
        payment: { method: 'cash_on_delivery' },
      },
      { key: web.key, headers: { 'idempotency-key': `outage-${i}` } },
    )

  const alive = async () => {
    const exited = await Promise.race([server.exited.then(() => true), sleep(300).then(() => false)])
    return !exited
  }

  it('stays up when its idle connections are cut, and places the next order', async () => {
    expect(await cutConnections()).toBeGreaterThan(0)
    await sleep(300)
    expect(await alive()).toBe(true)
    const reply = await place(0)
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
  })

  it('stays up when its connections are cut during a burst, and every retried attempt is one order', async () => {
    const attempts = Array.from({ length: 60 }, (_, i) => i + 1)
    const answers = new Map<number, Reply<Order>>()
    let cut: Promise<number> | undefined
    await inParallel(attempts, 12, async (i) => {
      const reply = await place(i)
      answers.set(i, reply)
      if (answers.size === 15 && !cut) cut = cutConnections()
    })
    expect(await cut).toBeGreaterThan(0)
    expect(await alive()).toBe(true)
    // Cut-off requests are answered 503 with Retry-After and a stable type, never left hanging.
    const refused = [...answers.values()].filter((r) => r.status !== 201)
    expect(refused.length).toBeGreaterThan(0)
    for (const reply of refused) {
      expect(reply.status, JSON.stringify(reply.body)).toBe(503)
      expect(reply.headers['retry-after']).toBe('1')
      expect((reply.body as unknown as { type: string }).type).toMatch(/unavailable$/)
    }

    const orders = new Map<number, string>()
    for (const i of attempts) {
      const reply = await place(i)
      expect(reply.status, JSON.stringify(reply.body)).toBe(201)
      const first = answers.get(i)!
      if (first.status === 201) expect(reply.body.id).toBe(first.body.id)
      orders.set(i, reply.body.id)
    }
    expect(new Set(orders.values()).size).toBe(attempts.length)
    const stock = await httpRequest<{ locations: { reserved: number }[] }>(server.url, 'GET', `/v1/inventory/${skus[0]}`)
    const other = await httpRequest<{ locations: { reserved: number }[] }>(server.url, 'GET', `/v1/inventory/${skus[1]}`)
    // One unit per order, the first test's included: nothing from a cut-off attempt lingers.
    expect(stock.body.locations[0]!.reserved + other.body.locations[0]!.reserved).toBe(attempts.length + 1)
  })
})
