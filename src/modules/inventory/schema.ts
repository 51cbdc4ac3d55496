import { z } from 'zod'
import { PageQuery } from '../../kernel/http/index.js'
import { Sku } from '../catalog/index.js'

export const LocationRef = z.string().min(1).max(40)
const Reference = z.string().min(1).max(200)
const Reason = z.string().min(1).max(500)
const Count = z.number().int().min(0).max(1_000_000_000)

export const ReserveLine = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(1_000_000),
  location: LocationRef.optional().describe(
    "Reserve at this location; without it, from the locations the caller's channel sells from",
  ),
})
export type ReserveLine = z.infer<typeof ReserveLine>

export const ReserveBody = z
  .strictObject({
    lines: z.array(ReserveLine).min(1).max(100),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(900),
    reference: Reference.describe('What the stock is held for: a cart, an order number'),
  })
  .meta({ id: 'Reserve' })
export type ReserveBody = z.infer<typeof ReserveBody>

export const ReservationStatus = z.enum(['active', 'confirmed', 'released', 'expired'])

export const ReservationView = z
  .object({
    id: z.string(),
    status: ReservationStatus,
    reference: z.string(),
    channel: z.string().nullable(),
    store: z.string().nullable().describe('The store of the key that made it (a POS stamps its shop)'),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number(), location: z.string() })),
    expiresAt: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Reservation' })
export type ReservationView = z.infer<typeof ReservationView>

export const IdParams = z.object({ id: z.string().min(1).max(100) })

const movementKinds = ['receipt', 'return', 'adjustment', 'count'] as const
type MovementKind = (typeof movementKinds)[number]

function quantityRule(kind: MovementKind, quantity: number): true | string {
  if (kind === 'adjustment')
    return quantity !== 0 || 'an adjustment is a signed, non-zero number of units'
  if (kind === 'count') return quantity >= 0 || 'a count is the number of units found, zero or more'
  return quantity > 0 || `a ${kind} brings in one unit or more`
}

function movement<K extends readonly [MovementKind, ...MovementKind[]]>(kinds: K) {
  return z
    .strictObject({
      sku: Sku,
      location: LocationRef,
      kind: z.enum(kinds),
      quantity: z
        .number()
        .int()
        .min(-1_000_000_000)
        .max(1_000_000_000)
        .describe(
          'receipt: units in (> 0); adjustment: signed change (≠ 0); count: units found (≥ 0)',
        ),
      reason: Reason,
      reference: Reference.optional(),
    })
    .superRefine((m, ctx) => {
      const rule = quantityRule(m.kind as MovementKind, m.quantity)
      if (rule !== true) ctx.addIssue({ code: 'custom', path: ['quantity'], message: rule })
    })
}

/** A change to on-hand stock. `return` is for the returns module; HTTP takes the other three. */
export const MovementInput = movement(movementKinds)
export type MovementInput = z.infer<typeof MovementInput>

export const MovementBody = movement(['receipt', 'adjustment', 'count'] as const).meta({
  id: 'Movement',
})
export type MovementBody = z.infer<typeof MovementBody>

export const LedgerKind = z.enum([
  'receipt',
  'sale',
  'return',
  'transfer_out',
  'transfer_in',
  'adjustment',
  'count',
])

export const LedgerEntryView = z
  .object({
    id: z.number(),
    sku: z.string(),
    location: z.string(),
    kind: LedgerKind,
    quantity: z.number().describe('Signed change to on-hand units'),
    reason: z.string(),
    actor: z.string(),
    reference: z.string().nullable(),
    occurredAt: z.string(),
  })
  .meta({ id: 'LedgerEntry' })
export type LedgerEntryView = z.infer<typeof LedgerEntryView>

export const LocationStock = z
  .object({
    location: z.string(),
    onHand: z.number(),
    reserved: z.number(),
    safetyStock: z.number(),
    available: z.number().describe('onHand − reserved − safetyStock, never below 0'),
    lowStockThreshold: z.number().nullable(),
  })
  .meta({ id: 'LocationStock' })
export type LocationStock = z.infer<typeof LocationStock>

export const StockLevelView = LocationStock.extend({ sku: z.string() }).meta({ id: 'StockLevel' })
export type StockLevelView = z.infer<typeof StockLevelView>

export const MovementResult = z
  .object({ entries: z.array(LedgerEntryView), stock: StockLevelView })
  .meta({ id: 'MovementResult' })

export const StockView = z
  .object({
    sku: z.string(),
    available: z.number(),
    locations: z.array(LocationStock),
    channels: z
      .record(z.string(), z.number())
      .describe('Available to promise per channel: the sum over the locations it sells from'),
  })
  .meta({ id: 'Stock' })
export type StockView = z.infer<typeof StockView>

export const TransferBody = z
  .strictObject({
    sku: Sku,
    from: LocationRef,
    to: LocationRef,
    quantity: z.number().int().min(1).max(1_000_000_000),
    reason: Reason.default('transfer'),
    reference: Reference.optional(),
  })
  .refine((t) => t.from !== t.to, { path: ['to'], message: 'must differ from from' })
  .meta({ id: 'CreateTransfer' })
export type TransferBody = z.infer<typeof TransferBody>

export const TransferView = z
  .object({
    id: z.string(),
    sku: z.string(),
    from: z.string(),
    to: z.string(),
    quantity: z.number(),
    status: z.enum(['in_transit', 'received']),
    reason: z.string(),
    reference: z.string().nullable(),
    reservationId: z
      .string()
      .nullable()
      .describe('The reservation its units are held for again on receipt (a collection at `to`)'),
    createdAt: z.string(),
    receivedAt: z.string().nullable(),
  })
  .meta({ id: 'Transfer' })
export type TransferView = z.infer<typeof TransferView>

export const TransferListQuery = PageQuery.extend({
  location: LocationRef,
  direction: z
    .enum(['in', 'out'])
    .default('in')
    .describe('`in`: transfers coming to the location; `out`: transfers leaving it'),
  status: z.enum(['in_transit', 'received']).optional(),
})
export type TransferListQuery = z.infer<typeof TransferListQuery>

export const StockSettingsBody = z
  .strictObject({
    safetyStock: Count.optional(),
    lowStockThreshold: Count.nullable().optional().describe('null clears the threshold'),
  })
  .refine((b) => b.safetyStock !== undefined || b.lowStockThreshold !== undefined, {
    message: 'name safetyStock, lowStockThreshold or both',
  })
  .meta({ id: 'StockSettings' })
export type StockSettingsBody = z.infer<typeof StockSettingsBody>

export const SkuParams = z.object({ sku: Sku })
export const SkuLocationParams = z.object({ sku: Sku, location: LocationRef })

export const StockListQuery = PageQuery.extend({ location: LocationRef })
export type StockListQuery = z.infer<typeof StockListQuery>

export const LedgerQuery = PageQuery.extend({
  location: LocationRef.optional(),
  kind: LedgerKind.optional(),
})
export type LedgerQuery = z.infer<typeof LedgerQuery>
