import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { recordMovement } from './movements.js'
import { stockOf } from './queries.js'
import { releaseExpired } from './expiry.js'
import { confirmReservation, releaseReservation, reserve } from './reservations.js'
import { setStockSettings } from './settings.js'
import { createTransfer, receiveTransfer } from './transfers.js'
import { resourceReservation } from './reservation-moves.js'
import { defaultSourcingPolicy } from './sourcing-rules.js'
import { createLocations, reconcile, resetInventory, seedSkus } from './testing.js'

const skus = ['SKU-A', 'SKU-B'] as const
const locations = ['loc-1', 'loc-2', 'loc-3'] as const
const sku = fc.constantFrom(...skus)
const location = fc.constantFrom(...locations)
const pick = fc.nat({ max: 50 })

const movement = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('receipt' as const),
      sku,
      location,
      quantity: fc.integer({ min: 1, max: 20 }),
    }),
  },
  fc.record({
    op: fc.constant('return' as const),
    sku,
    location,
    quantity: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    op: fc.constant('count' as const),
    sku,
    location,
    quantity: fc.integer({ min: 0, max: 15 }),
  }),
  fc.record({
    op: fc.constant('adjustment' as const),
    sku,
    location,
    quantity: fc.integer({ min: -6, max: 6 }).filter((q) => q !== 0),
  }),
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('reserve' as const),
      lines: fc.array(
        fc.record({
          sku,
          quantity: fc.integer({ min: 1, max: 4 }),
          location: fc.option(location, { nil: undefined, freq: 2 }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      ttlSeconds: fc.integer({ min: 10, max: 300 }),
    }),
  },
  fc.record({ op: fc.constant('confirm' as const), pick }),
  fc.record({ op: fc.constant('release' as const), pick }),
  fc.record({ op: fc.constant('expire' as const), seconds: fc.integer({ min: 0, max: 200 }) }),
  fc.record({
    op: fc.constant('transfer' as const),
    sku,
    from: location,
    to: location,
    quantity: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({ op: fc.constant('receive' as const), pick }),
  fc.record({
    op: fc.constant('safety' as const),
    sku,
    location,
    safetyStock: fc.integer({ min: 0, max: 3 }),
  }),
)
// Units a location cannot find, made up elsewhere: reserved there, or sent back by transfer.
const resourcing = fc.record({
  op: fc.constant('resource' as const),
  pick,
  line: pick,
  quantity: fc.integer({ min: 1, max: 2 }),
  collect: fc.boolean(),
})
// Kept apart so that the replayed seed below still draws the operations it was found with.
const operation = fc.oneof({ weight: 16, arbitrary: movement }, { weight: 3, arbitrary: resourcing })
type Operation = typeof operation extends fc.Arbitrary<infer O> ? O : never

// Refusals the rules allow; anything else (a crash, a constraint violation) fails the property.
const expected = new Set(['insufficient-stock', 'illegal-transition', 'validation-failed'])

describe.each(engines)('the stock ledger on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 12 })
    await createLocations(t, ...locations)
    await seedSkus(t, ...skus)
  })
  afterAll(() => t.close())

  // Ids are shared only once their transaction has committed, as a client would learn them.
  async function run(op: Operation, reservations: string[], transfers: string[]) {
    const actor = 'test:property'
    const caller = { actor, channel: null, location: null }
    const made = await inTransaction(
      t.db,
      async (tx): Promise<{ reservation?: string; transfers?: string[] } | void> => {
        switch (op.op) {
          case 'receipt':
          case 'return':
          case 'count':
          case 'adjustment':
            await recordMovement(tx, t.clock, actor, {
              sku: op.sku,
              location: op.location,
              kind: op.op,
              quantity: op.quantity,
              reason: op.op,
            })
            return
          case 'reserve':
            return {
              reservation: (
                await reserve(tx, t.clock, caller, {
                  lines: op.lines,
                  ttlSeconds: op.ttlSeconds,
                  reference: 'p',
                })
              ).id,
            }
          case 'confirm':
            if (reservations.length)
              await confirmReservation(
                tx,
                t.clock,
                actor,
                reservations[op.pick % reservations.length]!,
              )
            return
          case 'release':
            if (reservations.length)
              await releaseReservation(tx, t.clock, reservations[op.pick % reservations.length]!)
            return
          case 'expire':
            t.clock.advance(op.seconds * 1000)
            await releaseExpired(tx, t.clock)
            return
          case 'transfer':
            if (op.from === op.to) return
            return {
              transfers: [
                (
                  await createTransfer(tx, t.clock, actor, {
                    sku: op.sku,
                    from: op.from,
                    to: op.to,
                    quantity: op.quantity,
                  })
                ).id,
              ],
            }
          case 'receive':
            if (transfers.length)
              await receiveTransfer(tx, t.clock, actor, transfers[op.pick % transfers.length]!)
            return
          case 'resource': {
            if (!reservations.length) return
            const reservationId = reservations[op.pick % reservations.length]!
            // One of the lines it holds, as a store would report it.
            const held = await tx
              .selectFrom('inventory.reservation_line')
              .select(['sku', 'location'])
              .where('reservation_id', '=', reservationId)
              .orderBy(['sku', 'location'])
              .execute()
            const line = held[op.line % Math.max(held.length, 1)]
            if (!line) return
            const plan = await resourceReservation(tx, t.clock, {
              reservationId,
              from: line.location,
              lines: [{ sku: line.sku, quantity: op.quantity }],
              candidates: locations
                .filter((l) => l !== line.location)
                .map((l) => ({ location: l, distanceKm: null })),
              policy: defaultSourcingPolicy,
              actor,
              reason: 'missing',
              ...(op.collect && { deliverTo: line.location }),
            })
            return { transfers: plan.transfers.map((tr) => tr.id) }
          }
          case 'safety':
            await setStockSettings(tx, t.clock, {
              sku: op.sku,
              location: op.location,
              safetyStock: op.safetyStock,
            })
        }
      },
    )
    if (made?.reservation) reservations.push(made.reservation)
    transfers.push(...(made?.transfers ?? []))
  }

  const property = (ops: fc.Arbitrary<Operation> = operation) =>
    fc.asyncProperty(
      // Operations come in small groups that run at once: real interleavings on PostgreSQL.
      fc.array(fc.array(ops, { minLength: 1, maxLength: 3 }), {
        minLength: 5,
        maxLength: 15,
      }),
      async (groups) => {
        await resetInventory(t.db)
        const reservations: string[] = []
        const transfers: string[] = []
        for (const group of groups) {
          const results = await Promise.allSettled(
            group.map((op) => run(op, reservations, transfers)),
          )
          for (const r of results) {
            if (
              r.status === 'rejected' &&
              !(r.reason instanceof DomainError && expected.has(r.reason.kind))
            )
              throw r.reason
          }
        }
        for (const row of await reconcile(t.db)) {
          expect(row.onHand, `${row.sku}@${row.location} on hand`).toBe(row.ledger)
          expect(row.reserved, `${row.sku}@${row.location} reserved`).toBe(row.held)
          expect(row.onHand - row.reserved).toBeGreaterThanOrEqual(0)
        }
        for (const s of skus) {
          const view = await inTransaction(t.db, (tx) => stockOf(tx, s))
          for (const l of view.locations) expect(l.available).toBeGreaterThanOrEqual(0)
        }
      },
    )

  it('keeps on-hand equal to the ledger, reserved equal to active reservations, nothing negative', async () => {
    await fc.assert(property(), { numRuns: 40 })
  })

  // A receipt committed between a reservation's snapshot and its row lock once made PostgreSQL
  // skip the row in the same statement's update, and the reservation was half written. The
  // shrunk case hits that window most of the time; a few replays make a regression plain.
  // A confirmation waiting for the reservation row that a re-sourcing held once read the lines
  // as they were before the re-sourcing, and took units from stock rows no longer holding them.
  it('replays a confirmation racing the re-sourcing of its reservation', async () => {
    const path = '20:3:8:3:7:1:7:7:1:2:9:20:0:2:7:3:12:18:5:13:11:10:5:2:13:3:2:10:5:9:8:1:11:8:19:14:8:7:7:10:9:13:11:10:10:24:11:12:10:9:16:23:19:15:15:32:34:16:18:17:20:21:18:15'
    for (let i = 0; i < 4; i++) await fc.assert(property(), { seed: -1504624785, path, endOnFailure: true })
  })

  it('replays the race that once half-wrote a reservation', async () => {
    for (let i = 0; i < 4; i++) {
      await fc.assert(property(movement), { seed: -1478407656, path: '11:6:3:31:64:2:5:1:2:58:5:1:7:33', endOnFailure: true })
    }
  })
})
