import type { OrderView } from '../orders/index.js'
import type { Disposition, ReturnCondition } from './db.js'
import type { Refusal } from './errors.js'
import type { ReturnLineInput, ReturnPolicyView } from './schema.js'

const day = 86_400_000
// Goods have left the shop once a parcel is shipped or handed to the customer.
const handedOver = new Set(['shipped', 'delivered', 'picked_up'])

/** What the policy is checked against, all read before anything is written. */
export type ReturnFacts = {
  order: OrderView
  policy: ReturnPolicyView
  lines: readonly ReturnLineInput[]
  /** `lines` for a return, `returnLines` for an exchange: where line refusals point. */
  field: string
  /** The caller named the order by id (no number and contact). */
  byId: boolean
  /** The order's money was taken (captured, or spent from a gift card or store credit). */
  paid: boolean
  /** null for staff keys; the channel kind of a touchpoint key. */
  channelKind: string | null
  /** The receiving store, or null for a by-post return. */
  location: { code: string; acceptReturns: boolean } | null
  categories: ReadonlyMap<string, readonly string[]>
  /** Units of each SKU of the order already returned. */
  returned: ReadonlyMap<string, number>
  now: Date
}

/** An accepted line, with where its units go and how many of its SKU may come back at most. */
export type PlannedLine = ReturnLineInput & {
  disposition: Disposition
  location: string
  /** Handed-over units of the SKU: the ceiling the guarded UPDATE enforces. */
  handedOver: number
}

/** Per SKU: units handed over and the latest time one of its parcels was handed over. */
function handoverOf(order: OrderView) {
  const bySku = new Map<string, { units: number; at: Date; location: string }>()
  for (const f of order.fulfillments) {
    if (!handedOver.has(f.status)) continue
    const at = new Date(f.updatedAt)
    for (const l of f.lines) {
      const seen = bySku.get(l.sku)
      bySku.set(l.sku, {
        units: (seen?.units ?? 0) + l.quantity,
        at: seen && seen.at > at ? seen.at : at,
        location: seen?.location ?? f.location,
      })
    }
  }
  return bySku
}

/**
 * Checks a return against the policy and answers the plan (each line's disposition and
 * receiving location) or every refusal at its path: the order must have been paid (a cash on
 * delivery parcel still on its way has not); the receiving store must accept returns;
 * a touchpoint outside `idProofChannelKinds` must prove the order with its number and contact;
 * each line's SKU must be in the order, handed over, within the window (days from its latest
 * handover) and not in a non-returnable category; its condition accepted; its quantity no more
 * than handed over and not yet returned. The over-return check here is for a clear answer; the
 * guarded UPDATE that records the units is what holds under concurrency.
 */
export function planReturn(facts: ReturnFacts): { lines: PlannedLine[]; refusals: Refusal[] } {
  const { order, policy, field } = facts
  const refusals: Refusal[] = []
  if (facts.location && !facts.location.acceptReturns)
    refusals.push({
      path: 'location',
      reason: 'location-not-accepting-returns',
      message: `${facts.location.code} does not accept returns`,
    })
  const proofById = policy.idProofChannelKinds as readonly string[]
  if (facts.byId && facts.channelKind && !proofById.includes(facts.channelKind))
    refusals.push({
      path: 'orderId',
      reason: 'proof-required',
      message: 'give the order number and the email or phone it was placed with',
    })
  const handover = handoverOf(order)
  const ordered = new Set(order.lines.map((l) => l.sku))
  const barred = new Set(policy.nonReturnableCategories)
  const lines: PlannedLine[] = []
  facts.lines.forEach((line, i) => {
    const refuse = (leaf: string, reason: Refusal['reason'], message: string) =>
      refusals.push({ path: `${field}.${i}.${leaf}`, reason, message })
    if (!ordered.has(line.sku))
      return refuse('sku', 'not-in-order', `${line.sku} is not in order ${order.number}`)
    const given = handover.get(line.sku)
    if (!given)
      return refuse(
        'sku',
        'not-handed-over',
        `${line.sku} has not been handed over yet; cancel the order instead`,
      )
    const closes = new Date(given.at.getTime() + policy.windowDays * day)
    if (facts.now > closes)
      refuse(
        'sku',
        'window-closed',
        `the ${policy.windowDays}-day return window closed on ${closes.toISOString()}`,
      )
    const category = (facts.categories.get(line.sku) ?? []).find((c) => barred.has(c))
    if (category) refuse('sku', 'non-returnable-category', `${category} goods cannot be returned`)
    if (!policy.acceptedConditions.includes(line.condition))
      refuse(
        'condition',
        'condition-not-accepted',
        `${line.condition} goods are not accepted; accepted: ${policy.acceptedConditions.join(', ') || 'none'}`,
      )
    const left = given.units - (facts.returned.get(line.sku) ?? 0)
    if (line.quantity > left)
      refuse('quantity', 'exceeds-returnable', `at most ${left} of ${line.sku} can still be returned`)
    const place = destinationOf(policy, line.condition, facts.location?.code ?? null, given.location)
    lines.push({ ...line, ...place, handedOver: given.units })
  })
  // Said only of goods the customer has: unpaid and not handed over is the cancellation case.
  if (!facts.paid && lines.length > 0)
    refusals.push({
      path: facts.byId ? 'orderId' : 'orderNumber',
      reason: 'payment-not-taken',
      message: `order ${order.number} has not been paid yet: nothing can be refunded for it`,
    })
  return { lines, refusals }
}

/**
 * Where units in `condition` go: quarantine for the policy's quarantine conditions; else the
 * store or warehouse receiving them, else the policy's post location, else where they shipped from.
 */
export function destinationOf(
  policy: ReturnPolicyView,
  condition: ReturnCondition,
  receiving: string | null,
  shippedFrom: string,
) {
  if (policy.quarantineConditions.includes(condition) && policy.quarantineLocation)
    return { disposition: 'quarantined' as const, location: policy.quarantineLocation }
  return { disposition: 'restocked' as const, location: receiving ?? policy.postLocation ?? shippedFrom }
}

/** Per SKU of an order, the location its first handed-over parcel left from. */
export function shippedFrom(order: OrderView): Map<string, string> {
  return new Map([...handoverOf(order)].map(([sku, h]) => [sku, h.location]))
}
