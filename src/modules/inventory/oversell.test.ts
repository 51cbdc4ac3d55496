import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { reserve } from './reservations.js'
import { createChannel, createLocations, receive, reconcile, seedSkus } from './testing.js'

describe.each(engines)('overselling on %s', (engine) => {
  let t: TestApp
  let keys: string[]
  beforeAll(async () => {
    // A pool this size lets PostgreSQL run the requests really concurrently.
    t = await startTestApp(engine, { poolSize: 40 })
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    await createLocations(t, 'ath-1')
    await seedSkus(t, 'LAST-7', 'PAIR-A', 'PAIR-B')
    keys = [
      await createChannel(t, 'web', 'web'),
      await createChannel(t, 'app', 'app'),
      await createChannel(t, 'pos-ath-1', 'pos', { location: 'ath-1' }),
      await createChannel(t, 'kiosk-ath-1', 'kiosk', { location: 'ath-1' }),
      await createChannel(t, 'callcenter', 'callcenter'),
    ]
  })

  it('grants exactly 7 of 200 concurrent reservations from five touchpoints for 7 units', async () => {
    await receive(t, 'LAST-7', 'ath-1', 7)
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.call(
          'POST',
          '/v1/inventory/reservations',
          {
            lines: [{ sku: 'LAST-7', quantity: 1, ...(i % 2 === 0 && { location: 'ath-1' }) }],
            reference: `r-${i}`,
          },
          { key: keys[i % keys.length]! },
        ),
      ),
    )
    const statuses = replies.map((r) => r.statusCode)
    expect(statuses.filter((s) => s === 201)).toHaveLength(7)
    expect(statuses.filter((s) => s === 409)).toHaveLength(193)
    for (const refused of replies.filter((r) => r.statusCode === 409)) {
      expect(refused.json()).toMatchObject({
        type: 'https://omnia.dev/problems/insufficient-stock',
        shortages: [expect.objectContaining({ sku: 'LAST-7', requested: 1, available: 0 })],
      })
    }
    const stock = (await t.call('GET', '/v1/inventory/LAST-7')).json()
    expect(stock.locations).toEqual([
      expect.objectContaining({ location: 'ath-1', onHand: 7, reserved: 7, available: 0 }),
    ])
    expect(await reconcile(t.db)).toEqual([
      expect.objectContaining({ onHand: 7, ledger: 7, reserved: 7, held: 7 }),
    ])
  })

  it('never deadlocks when reservations take the same SKUs in opposite orders', async () => {
    await receive(t, 'PAIR-A', 'ath-1', 30)
    await receive(t, 'PAIR-B', 'ath-1', 30)
    // Straight transactions, without the kernel's retry, so a deadlock would surface as 40P01.
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => {
        const pair = i % 2 === 0 ? ['PAIR-A', 'PAIR-B'] : ['PAIR-B', 'PAIR-A']
        const lines = pair.map((sku) => ({ sku, quantity: 1 }))
        const caller = { actor: 'test', channel: null, location: null }
        return t.db
          .transaction()
          .execute((tx) =>
            reserve(tx, t.clock, caller, { lines, ttlSeconds: 60, reference: `p-${i}` }),
          )
      }),
    )
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    expect(refusals).toHaveLength(30)
    for (const reason of refusals) expect(reason).toMatchObject({ kind: 'insufficient-stock' })
    const rows = await reconcile(t.db)
    expect(rows.map((r) => [r.sku, r.onHand, r.reserved, r.held, r.ledger])).toEqual([
      ['PAIR-A', 30, 30, 30, 30],
      ['PAIR-B', 30, 30, 30, 30],
    ])
  })
})
