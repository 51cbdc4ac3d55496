import { z } from 'zod'
import type { NewEvent } from '../../kernel/outbox/index.js'

/**
 * Inventory's facts. Payloads are versioned; names are published and never renamed.
 * The three level events fire when a location's available stock moves between the states
 * in stock → low (at or below its threshold, above zero) → out of stock (zero):
 * `inventory.low` when it enters low from in stock, `inventory.out_of_stock` when it reaches
 * zero, `inventory.back_in_stock` when it leaves zero.
 */
export const inventoryEvents = {
  low: 'inventory.low',
  outOfStock: 'inventory.out_of_stock',
  backInStock: 'inventory.back_in_stock',
  reserved: 'inventory.reserved',
  released: 'inventory.reservation_released',
  expired: 'inventory.reservation_expired',
  sold: 'inventory.sold',
} as const

export const StockLevelEvent = z.object({
  version: z.literal(1),
  sku: z.string(),
  location: z.string(),
  available: z.number(),
  previousAvailable: z.number(),
  lowStockThreshold: z.number().nullable(),
})
export type StockLevelEvent = z.infer<typeof StockLevelEvent>

export const ReservationEvent = z.object({
  version: z.literal(1),
  reservationId: z.string(),
  reference: z.string(),
  lines: z.array(z.object({ sku: z.string(), location: z.string(), quantity: z.number() })),
})
export type ReservationEvent = z.infer<typeof ReservationEvent>

type Level = {
  sku: string
  location: string
  on_hand: number
  reserved: number
  safety_stock: number
  low_stock_threshold: number | null
}

export const availableOf = (l: Level) => Math.max(0, l.on_hand - l.reserved - l.safety_stock)

function stateOf(l: Level): 'in_stock' | 'low' | 'out' {
  const available = availableOf(l)
  if (available === 0) return 'out'
  return l.low_stock_threshold !== null && available <= l.low_stock_threshold ? 'low' : 'in_stock'
}

/** The level events implied by rows before and after one change; no reads needed. */
export function crossingEvents(
  changes: readonly { before: Level; after: Level }[],
  channel: string | null,
): NewEvent[] {
  return changes.flatMap(({ before, after }) => {
    const from = stateOf(before)
    const to = stateOf(after)
    if (from === to) return []
    const name =
      to === 'out'
        ? inventoryEvents.outOfStock
        : from === 'out'
          ? inventoryEvents.backInStock
          : to === 'low'
            ? inventoryEvents.low
            : null
    if (!name) return []
    const payload: StockLevelEvent = {
      version: 1,
      sku: after.sku,
      location: after.location,
      available: availableOf(after),
      previousAvailable: availableOf(before),
      lowStockThreshold: after.low_stock_threshold,
    }
    return [{ name, version: 1, payload, channel }]
  })
}

export function reservationEvent(
  name: string,
  reservation: { id: string; reference: string; channel: string | null },
  lines: readonly { sku: string; location: string; quantity: number }[],
): NewEvent {
  const payload: ReservationEvent = {
    version: 1,
    reservationId: reservation.id,
    reference: reservation.reference,
    lines: lines.map((l) => ({ sku: l.sku, location: l.location, quantity: l.quantity })),
  }
  return { name, version: 1, payload, channel: reservation.channel }
}
