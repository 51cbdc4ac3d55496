import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import pino from 'pino'
import { PeriodicRunner } from '../../kernel/jobs/periodic.js'
import { expireReservations, inventoryTasks } from './tasks.js'
import {
  createChannel,
  createLocations,
  outboxEvents,
  receive,
  reconcile,
  seedSkus,
} from './testing.js'

describe.each(engines)('reservations on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    await createLocations(t, 'ath-1', 'ath-2', 'wh-1', { code: 'back-room', shipFrom: false })
    await seedSkus(t, 'TEE-M', 'MUG-1')
  })

  const reserve = (body: unknown, key?: string, headers?: Record<string, string>) =>
    t.call('POST', '/v1/inventory/reservations', body, {
      ...(key && { key }),
      ...(headers && { headers }),
    })
  const stock = async (sku: string) => (await t.call('GET', `/v1/inventory/${sku}`)).json()

  it('reserves at a named location and answers the reservation', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    const res = await reserve({
      lines: [{ sku: 'TEE-M', quantity: 2, location: 'ath-1' }],
      ttlSeconds: 600,
      reference: 'cart-1',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({
      id: expect.stringMatching(/^res_/),
      status: 'active',
      reference: 'cart-1',
      lines: [{ sku: 'TEE-M', quantity: 2, location: 'ath-1' }],
      expiresAt: '2026-03-01T10:10:00.000Z',
    })
    const view = await stock('TEE-M')
    expect(view.locations).toEqual([
      expect.objectContaining({ location: 'ath-1', onHand: 5, reserved: 2, available: 3 }),
    ])
    expect((await t.call('GET', `/v1/inventory/reservations/${res.json().id}`)).json()).toEqual(
      res.json(),
    )
  })

  it("serves a line without location from the channel's own store first", async () => {
    await receive(t, 'TEE-M', 'ath-1', 2)
    await receive(t, 'TEE-M', 'ath-2', 9)
    const pos = await createChannel(t, 'pos-ath-1', 'pos', {
      location: 'ath-1',
      sellsFrom: ['ath-1', 'ath-2'],
    })
    const res = await reserve({ lines: [{ sku: 'TEE-M', quantity: 2 }], reference: 'till-1' }, pos)
    expect(res.json().lines).toEqual([{ sku: 'TEE-M', quantity: 2, location: 'ath-1' }])
    expect(res.json()).toMatchObject({ channel: 'pos-ath-1', store: 'ath-1' })
    const web = await createChannel(t, 'web', 'web')
    const fromWeb = await reserve(
      { lines: [{ sku: 'TEE-M', quantity: 3 }], reference: 'web-1' },
      web,
    )
    expect(fromWeb.json().lines).toEqual([{ sku: 'TEE-M', quantity: 3, location: 'ath-2' }])
    expect(fromWeb.json()).toMatchObject({ channel: 'web', store: null })
    const stored = await t.call('GET', `/v1/inventory/reservations/${res.json().id}`)
    expect(stored.json().store).toBe('ath-1')
  })

  it('splits a line across locations only when no single one has enough', async () => {
    await receive(t, 'TEE-M', 'ath-1', 3)
    await receive(t, 'TEE-M', 'ath-2', 4)
    await receive(t, 'TEE-M', 'wh-1', 2)
    await receive(t, 'TEE-M', 'back-room', 50)
    const web = await createChannel(t, 'web', 'web')
    const whole = await reserve({ lines: [{ sku: 'TEE-M', quantity: 4 }], reference: 'a' }, web)
    expect(whole.json().lines).toEqual([{ sku: 'TEE-M', quantity: 4, location: 'ath-2' }])
    const split = await reserve({ lines: [{ sku: 'TEE-M', quantity: 4 }], reference: 'b' }, web)
    expect(split.statusCode).toBe(201)
    expect(split.json().lines).toEqual([
      { sku: 'TEE-M', quantity: 3, location: 'ath-1' },
      { sku: 'TEE-M', quantity: 1, location: 'wh-1' },
    ])
    const short = await reserve({ lines: [{ sku: 'TEE-M', quantity: 2 }], reference: 'c' }, web)
    expect(short.statusCode).toBe(409)
    // The back room does not ship, so its 50 units are not the web's to promise.
    expect(short.json().shortages).toEqual([{ sku: 'TEE-M', requested: 2, available: 1 }])
  })

  it('reserves all lines or none', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    await receive(t, 'MUG-1', 'ath-1', 1)
    const res = await reserve({
      lines: [
        { sku: 'TEE-M', quantity: 5, location: 'ath-1' },
        { sku: 'MUG-1', quantity: 2, location: 'ath-1' },
      ],
      reference: 'cart-2',
    })
    expect(res.statusCode).toBe(409)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({
      type: 'https://omnia.dev/problems/insufficient-stock',
      shortages: [{ sku: 'MUG-1', location: 'ath-1', requested: 2, available: 1 }],
    })
    expect((await reconcile(t.db)).map((r) => r.reserved)).toEqual([0, 0])
    expect(await outboxEvents(t.db, 'inventory.reserved')).toEqual([])
  })

  it('confirms into a sale, releases, and refuses a second change with the allowed targets', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    const a = (
      await reserve({ lines: [{ sku: 'TEE-M', quantity: 2, location: 'ath-1' }], reference: 'o-1' })
    ).json()
    const b = (
      await reserve({ lines: [{ sku: 'TEE-M', quantity: 1, location: 'ath-1' }], reference: 'o-2' })
    ).json()
    const confirmed = await t.call('POST', `/v1/inventory/reservations/${a.id}/confirm`)
    expect(confirmed.statusCode).toBe(200)
    expect(confirmed.json().status).toBe('confirmed')
    expect((await t.call('POST', `/v1/inventory/reservations/${b.id}/release`)).json().status).toBe(
      'released',
    )
    expect((await stock('TEE-M')).locations[0]).toMatchObject({
      onHand: 3,
      reserved: 0,
      available: 3,
    })
    const ledger = (await t.call('GET', '/v1/inventory/TEE-M/ledger')).json().data
    expect(ledger[0]).toMatchObject({
      kind: 'sale',
      quantity: -2,
      location: 'ath-1',
      reference: 'o-1',
    })

    const again = await t.call('POST', `/v1/inventory/reservations/${a.id}/release`)
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({
      type: 'https://omnia.dev/problems/illegal-transition',
      from: 'confirmed',
      to: 'released',
      allowed: [],
    })
    expect((await t.call('POST', '/v1/inventory/reservations/res_nope/confirm')).statusCode).toBe(
      404,
    )
    expect(await reconcile(t.db)).toEqual([
      expect.objectContaining({ onHand: 3, ledger: 3, reserved: 0, held: 0 }),
    ])
  })

  it('expires reservations once the clock passes their TTL, through the periodic function', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    const short = (
      await reserve({
        lines: [{ sku: 'TEE-M', quantity: 2, location: 'ath-1' }],
        ttlSeconds: 60,
        reference: 's',
      })
    ).json()
    const long = (
      await reserve({
        lines: [{ sku: 'TEE-M', quantity: 1, location: 'ath-1' }],
        ttlSeconds: 3600,
        reference: 'l',
      })
    ).json()
    expect(await expireReservations(t.db, t.clock)).toBe(0)
    t.clock.advance(61_000)
    expect(await expireReservations(t.db, t.clock)).toBe(1)
    expect((await t.call('GET', `/v1/inventory/reservations/${short.id}`)).json().status).toBe(
      'expired',
    )
    expect((await t.call('GET', `/v1/inventory/reservations/${long.id}`)).json().status).toBe(
      'active',
    )
    expect((await stock('TEE-M')).locations[0]).toMatchObject({ onHand: 5, reserved: 1 })
    const late = await t.call('POST', `/v1/inventory/reservations/${short.id}/confirm`)
    expect(late.statusCode).toBe(409)
    expect(late.json()).toMatchObject({ from: 'expired', to: 'confirmed', allowed: [] })
    expect(
      (await outboxEvents(t.db, 'inventory.reservation_expired')).map(
        (e) => e.payload.reservationId,
      ),
    ).toEqual([short.id])
  })

  it('lets several expiry runners work at once, each reservation expiring exactly once', async () => {
    await receive(t, 'TEE-M', 'ath-1', 40)
    for (let i = 0; i < 30; i++)
      await reserve({
        lines: [{ sku: 'TEE-M', quantity: 1, location: 'ath-1' }],
        ttlSeconds: 60,
        reference: `r-${i}`,
      })
    t.clock.advance(60_000)
    const counts = await Promise.all([1, 2, 3].map(() => expireReservations(t.db, t.clock)))
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30)
    expect(await outboxEvents(t.db, 'inventory.reservation_expired')).toHaveLength(30)
    expect(await reconcile(t.db)).toEqual([
      expect.objectContaining({ onHand: 40, reserved: 0, held: 0 }),
    ])
  })

  it('releases reservations that expired while no server ran, on the first run after start', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    await reserve({
      lines: [{ sku: 'TEE-M', quantity: 5, location: 'ath-1' }],
      ttlSeconds: 60,
      reference: 'down',
    })
    t.clock.advance(3600_000)
    const runner = new PeriodicRunner(
      inventoryTasks({ db: t.db, clock: t.clock, logger: pino({ level: 'silent' }) }),
      pino({ level: 'silent' }),
    )
    runner.start()
    try {
      await expect
        .poll(async () => (await stock('TEE-M')).locations[0].reserved, { timeout: 5_000 })
        .toBe(0)
    } finally {
      await runner.stop()
    }
  })

  it('answers a retried reservation with the same reservation, reserving once', async () => {
    await receive(t, 'TEE-M', 'ath-1', 5)
    const body = { lines: [{ sku: 'TEE-M', quantity: 2, location: 'ath-1' }], reference: 'retry' }
    const headers = { 'idempotency-key': 'checkout-42' }
    const first = await reserve(body, undefined, headers)
    const again = await reserve(body, undefined, headers)
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect((await stock('TEE-M')).locations[0].reserved).toBe(2)
  })
})
