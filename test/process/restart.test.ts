import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines } from '../support/engines.js'
import { httpRequest, ServerGroup, type ServerOptions, type ServerProcess } from '../support/server-process.js'
import { serverDatabase, type ServerDatabase } from './data-dir.js'
import { createLocation, createTouchpoints, ledgerOf, receive, sleep, stockOf, stockSkus } from './fixtures.js'

type Reservation = { id: string; status: string; expiresAt: string }

/**
 * A crash (SIGKILL: no shutdown hook runs) must lose nothing that was acknowledged, and the
 * reservations whose time ran out while the server was down must be released when it is back.
 */
describe.each(engines)('A killed server restarts consistent on %s', (engine) => {
  const servers = new ServerGroup()
  let storage: ServerDatabase
  let options: ServerOptions
  let server: ServerProcess
  const store = 'store-r'

  beforeAll(async () => {
    storage = await serverDatabase(engine, 'restart')
    options = storage.options
    server = await servers.start(options)
    await createLocation(server.url, store)
  })

  afterAll(async () => {
    await servers.stopAll()
    await storage.dispose()
  })

  it('releases reservations that expired while it was down and keeps the others', async () => {
    const [web] = await createTouchpoints(server.url, store, ['web'], 'restart')
    const sku = 'RST-TEE'
    await stockSkus(server.url, store, [sku], 20)
    const reserve = async (quantity: number, ttlSeconds: number, reference: string) => {
      const reply = await httpRequest<Reservation>(
        server.url,
        'POST',
        '/v1/inventory/reservations',
        { lines: [{ sku, quantity }], ttlSeconds, reference },
        { key: web!.key },
      )
      expect(reply.status, JSON.stringify(reply.body)).toBe(201)
      return reply.body
    }
    const ledgerBefore = await ledgerOf(server.url, sku)
    const long = [await reserve(3, 3600, 'long-1'), await reserve(4, 3600, 'long-2')]
    // The short ones last, so they are still active (all 12 units held) when the process dies.
    const short = [await reserve(2, 2, 'short-1'), await reserve(2, 2, 'short-2'), await reserve(1, 2, 'short-3')]
    expect((await stockOf(server.url, sku)).locations[0]).toMatchObject({ onHand: 20, reserved: 12 })

    expect(await server.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
    const lastExpiry = Math.max(...short.map((r) => Date.parse(r.expiresAt)))
    await sleep(Math.max(0, lastExpiry - Date.now()) + 500)

    server = await servers.start(options)
    const statusOf = async (r: Reservation) =>
      (await httpRequest<Reservation>(server.url, 'GET', `/v1/inventory/reservations/${r.id}`)).body.status
    // The expiry worker runs on start; give it a few seconds rather than assuming a schedule.
    for (let i = 0; i < 100 && (await Promise.all(short.map(statusOf))).some((s) => s !== 'expired'); i++) await sleep(100)

    expect(await Promise.all(short.map(statusOf))).toEqual(['expired', 'expired', 'expired'])
    expect(await Promise.all(long.map(statusOf))).toEqual(['active', 'active'])
    const stock = await stockOf(server.url, sku)
    expect(stock.locations[0]).toMatchObject({ onHand: 20, reserved: 7, available: 13 })
    const ledgerAfter = await ledgerOf(server.url, sku)
    expect(ledgerAfter.map((e) => e.id)).toEqual(expect.arrayContaining(ledgerBefore.map((e) => e.id)))
    expect(ledgerAfter.reduce((sum, e) => sum + e.quantity, 0)).toBe(20)
  })

  it('keeps every acknowledged stock movement when killed in the middle of a burst', async () => {
    const sku = 'RST-MUG'
    await stockSkus(server.url, store, [sku], 1)
    const acknowledged: unknown[] = []
    let killed: Promise<unknown> | undefined
    // 40 receipts in flight; the process dies as soon as ten have been answered.
    const attempts = await Promise.allSettled(
      Array.from({ length: 40 }, async () => {
        const reply = await receive(server.url, sku, store, 1)
        acknowledged.push(reply)
        if (acknowledged.length === 10) killed = server.kill('SIGKILL')
      }),
    )
    await killed
    expect(attempts.filter((a) => a.status === 'fulfilled').length).toBe(acknowledged.length)

    server = await servers.start(options)
    const stock = await stockOf(server.url, sku)
    const onHand = stock.locations[0]!.onHand
    // Everything acknowledged is there; what was cut off is either wholly there or wholly absent.
    expect(onHand).toBeGreaterThanOrEqual(1 + acknowledged.length)
    expect(onHand).toBeLessThanOrEqual(41)
    const ledger = await ledgerOf(server.url, sku)
    expect(ledger.reduce((sum, e) => sum + e.quantity, 0)).toBe(onHand)
    expect(ledger).toHaveLength(onHand)
  })
})
