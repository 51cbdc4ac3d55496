import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { DomainError } from '../../kernel/errors.js'
import type { Tx } from '../../kernel/db/index.js'
import type { InventoryTables } from './db.js'
import { reserve, type Caller } from './reservations.js'
import type { ReservationView } from './schema.js'
import {
  eligibleCandidates,
  planSourcing,
  type PlannedLine,
  type SourcingDecision,
  type SourcingInput,
  type SourcingPlan,
} from './sourcing-rules.js'
import { insufficientStock, type Level, type Shortage } from './stock.js'

type InventoryTx = Tx<InventoryTables>

export type SourcedReserveInput = {
  lines: readonly PlannedLine[]
  ttlSeconds: number
  reference: string
  /** Everything `planSourcing` needs except the lines and the stock, which are read here. */
  sourcing: Omit<SourcingInput, 'lines' | 'available'>
}

/** A plan's refusal as `insufficient-stock`, its detail saying which rule stopped it. */
export function refusal(decision: { reason: string; shortages: Shortage[] }) {
  return insufficientStock(
    decision.shortages,
    `${decision.reason}: ${insufficientStock(decision.shortages).message}`,
  )
}

/**
 * Locks the stock rows of `skus` at `locations` in (sku, location) order — the order every
 * inventory write takes them in, so concurrent writers queue rather than deadlock — and answers
 * what each has available (safety stock deducted).
 */
export async function lockAvailable(
  tx: InventoryTx,
  skus: readonly string[],
  locations: readonly string[],
): Promise<Map<string, Map<string, number>>> {
  const available = new Map<string, Map<string, number>>()
  if (skus.length === 0 || locations.length === 0) return available
  const { rows } = await sql<Level>`
    select s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold
    from inventory.stock_level s
    where s.sku = any(${[...new Set(skus)]}::text[]) and s.location = any(${[...new Set(locations)]}::text[])
    order by s.sku, s.location
    for update`.execute(tx)
  for (const l of rows) {
    const at = available.get(l.sku) ?? new Map<string, number>()
    at.set(l.location, Math.max(0, l.on_hand - l.reserved - l.safety_stock))
    available.set(l.sku, at)
  }
  return available
}

/**
 * Reserves an order by the sourcing policy and answers the reservation with the plan that
 * chose its locations. A collection is reserved at its store by one guarded statement. A
 * shipment locks the candidate rows, lets `planSourcing` choose from what they hold, and grants
 * that plan with `reserve`'s guarded statement — which cannot be refused, since the rows stay
 * locked until commit; concurrent orders for the last units therefore never both succeed. When
 * only one location may ship, the guarded statement is tried first without the read (its guard
 * alone decides), and the read follows only to word a refusal.
 * Throws `insufficient-stock` with the plan's shortages (nothing written); appends what
 * `reserve` appends.
 */
export async function reserveSourced(
  tx: InventoryTx,
  clock: Clock,
  caller: Caller,
  input: SourcedReserveInput,
): Promise<{ reservation: ReservationView; plan: SourcingPlan }> {
  const { sourcing } = input
  const collecting = sourcing.method === 'pickup' || sourcing.method === 'curbside'
  if (collecting) {
    const store = sourcing.pickupAt!
    const reservation = await reserve(tx, clock, caller, {
      lines: input.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, location: store })),
      ttlSeconds: input.ttlSeconds,
      reference: input.reference,
    })
    const lines = reservation.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }))
    return {
      reservation,
      plan: {
        rule: 'pickup_store',
        reason: `collected at ${store}`,
        shipments: [{ location: store, distanceKm: null, lines }],
      },
    }
  }
  const eligible = eligibleCandidates(
    sourcing.method,
    sourcing.candidates,
    sourcing.ownStore,
    sourcing.policy,
  )
  const grantPlan = async (decision: Extract<SourcingDecision, { ok: true }>) => ({
    reservation: await reserve(tx, clock, caller, {
      lines: decision.shipments.flatMap((s) =>
        s.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, location: s.location })),
      ),
      ttlSeconds: input.ttlSeconds,
      reference: input.reference,
    }),
    plan: { rule: decision.rule, reason: decision.reason, shipments: decision.shipments },
  })
  if (eligible.length === 1) {
    // One location may ship: the plan cannot depend on what it holds, so the guarded grant goes
    // first, without reading the rows; only a refusal (nothing written) reads them below.
    const only = eligible[0]!.location
    const enough = new Map<string, Map<string, number>>()
    for (const l of input.lines) enough.set(l.sku, new Map([[only, (enough.get(l.sku)?.get(only) ?? 0) + l.quantity]]))
    const decision = planSourcing({ ...sourcing, lines: input.lines, available: enough })
    if (decision.ok) {
      try {
        return await grantPlan(decision)
      } catch (err) {
        // Short, or not stocked there at all: the full path below words the refusal.
        if (!(err instanceof DomainError && (err.kind === 'insufficient-stock' || err.kind === 'validation-failed'))) throw err
      }
    }
  }
  const available = await lockAvailable(
    tx,
    input.lines.map((l) => l.sku),
    eligible.map((c) => c.location),
  )
  const decision = planSourcing({ ...sourcing, lines: input.lines, available })
  if (!decision.ok) throw refusal(decision)
  return grantPlan(decision)
}
