import { z } from 'zod'
import type { NewEvent } from '../../kernel/outbox/index.js'
import type { CartRow } from './db.js'

/** What changed, so a subscriber need not diff carts. */
export const CartChange = z.enum([
  'created',
  'line_added',
  'line_changed',
  'line_removed',
  'fulfillment_set',
  'coupon_applied',
  'coupon_removed',
  'identified',
  'merged_in',
  'split_off',
  'ordered',
])
export type CartChange = z.infer<typeof CartChange>

export const CartUpdated = z.object({
  cartId: z.string(),
  customerId: z.string().nullable(),
  anonymousId: z.string().nullable(),
  change: CartChange,
  sku: z.string().optional(),
  quantity: z.number().int().optional(),
})
export type CartUpdated = z.infer<typeof CartUpdated>

export const CartAbandoned = z.object({
  cartId: z.string(),
  customerId: z.string().nullable(),
  anonymousId: z.string().nullable(),
  lastActivityAt: z.string(),
})
export type CartAbandoned = z.infer<typeof CartAbandoned>

export const CartMerged = z.object({ cartId: z.string(), into: z.string(), customerId: z.string() })
export type CartMerged = z.infer<typeof CartMerged>

/** Event names and their payload schemas (version 1). */
export const cartEvents = {
  'cart.updated': CartUpdated,
  'cart.abandoned': CartAbandoned,
  'cart.merged': CartMerged,
} as const

export function cartUpdated(
  cart: CartRow,
  channel: string | null,
  change: CartChange,
  line?: { sku: string; quantity: number },
): NewEvent {
  const payload: CartUpdated = {
    cartId: cart.id,
    customerId: cart.customer_id,
    anonymousId: cart.anonymous_id,
    change,
    ...(line && { sku: line.sku, quantity: line.quantity }),
  }
  return { name: 'cart.updated', version: 1, payload, channel, profileId: cart.customer_id }
}

export function cartAbandoned(cart: CartRow): NewEvent {
  const payload: CartAbandoned = {
    cartId: cart.id,
    customerId: cart.customer_id,
    anonymousId: cart.anonymous_id,
    lastActivityAt: cart.last_activity_at.toISOString(),
  }
  return { name: 'cart.abandoned', version: 1, payload, channel: cart.channel, profileId: cart.customer_id }
}

export function cartMerged(from: CartRow, into: CartRow, channel: string | null): NewEvent {
  const payload: CartMerged = { cartId: from.id, into: into.id, customerId: into.customer_id! }
  return { name: 'cart.merged', version: 1, payload, channel, profileId: into.customer_id }
}
