import { allocate, type Currency } from '../../kernel/money.js'

/**
 * The discount policy: which promotions apply to a basket and how much each takes off each line.
 * Pure (no database, no clock): the service gathers the facts, this decides, and the answer is a
 * plan with a reason for every promotion considered.
 *
 * Rules, in order:
 * - A promotion applies only to lines its target names (every line, some SKUs, or categories),
 *   only when the basket's subtotal reaches its minimum spend, and only in its currency.
 * - At most one non-stackable promotion applies: the one that takes off the most on its own
 *   (ties: the smaller id). Stackable promotions all apply.
 * - Percentages apply before fixed amounts (the order that favours the customer), each on what
 *   the earlier ones left of a line, so a line's discount never exceeds its total.
 * - A percentage rounds down per line. A fixed amount is capped at what is left of its lines and
 *   split over them in proportion to that, the leftover units by largest remainder.
 */

export type PolicyLine = {
  readonly sku: string
  readonly categories: readonly string[]
  readonly quantity: number
  readonly unitPrice: number
}

export type Discount =
  | { readonly type: 'percentage'; readonly percentOff: number }
  | { readonly type: 'fixed'; readonly amountOff: number }

export type Target =
  | { readonly kind: 'order' }
  | { readonly kind: 'skus'; readonly skus: readonly string[] }
  | { readonly kind: 'categories'; readonly categories: readonly string[] }

export type PolicyPromotion = {
  readonly id: string
  readonly name: string
  readonly discount: Discount
  readonly target: Target
  // The promotion's currency when it names amounts (a fixed discount or a minimum spend).
  readonly currency: Currency | null
  readonly minSpend: number | null
  readonly stackable: boolean
  // The coupon code the customer entered to reach this promotion; null for automatic ones.
  readonly code: string | null
}

export type NotAppliedReason =
  | 'currency-mismatch'
  | 'min-spend-not-met'
  | 'no-matching-lines'
  | 'better-promotion-applies'
  | 'nothing-left-to-discount'

export type AppliedPromotion = {
  promotionId: string
  name: string
  code: string | null
  amount: number
  reason: string
}

export type PlanLine = {
  index: number
  sku: string
  lineTotal: number
  discount: number
  allocations: { promotionId: string; amount: number }[]
}

export type Plan = {
  currency: Currency
  subtotal: number
  discountTotal: number
  total: number
  lines: PlanLine[]
  applied: AppliedPromotion[]
  notApplied: { promotionId: string; code: string | null; reason: NotAppliedReason }[]
}

function targets(target: Target, line: PolicyLine): boolean {
  if (target.kind === 'order') return true
  if (target.kind === 'skus') return target.skus.includes(line.sku)
  return line.categories.some((c) => target.categories.includes(c))
}

/** What a promotion takes off each line of `left` (what remains of each line), on its own. */
function discountOn(
  promotion: PolicyPromotion,
  lines: readonly PolicyLine[],
  left: readonly number[],
) {
  const eligible = lines.map((line) => targets(promotion.target, line))
  const { discount } = promotion
  if (discount.type === 'percentage') {
    // BigInt: a line total times a percentage may pass 2^53.
    return left.map((rest, i) =>
      eligible[i] ? Number((BigInt(rest) * BigInt(discount.percentOff)) / 100n) : 0,
    )
  }
  const weights = left.map((rest, i) => (eligible[i] ? rest : 0))
  const room = weights.reduce((a, b) => a + b, 0)
  return allocate(Math.min(discount.amountOff, room), weights)
}

function explain(p: PolicyPromotion): string {
  const off =
    p.discount.type === 'percentage'
      ? `${p.discount.percentOff}% off`
      : `${p.discount.amountOff} off`
  const on =
    p.target.kind === 'order'
      ? 'the order'
      : p.target.kind === 'skus'
        ? `SKUs ${p.target.skus.join(', ')}`
        : `categories ${p.target.categories.join(', ')}`
  const spend = p.minSpend !== null ? ` (minimum spend ${p.minSpend} reached)` : ''
  return `${off} ${on}${spend}`
}

function refusal(
  p: PolicyPromotion,
  lines: readonly PolicyLine[],
  currency: Currency,
  subtotal: number,
) {
  if (p.currency !== null && p.currency !== currency) return 'currency-mismatch' as const
  if (!lines.some((line) => targets(p.target, line))) return 'no-matching-lines' as const
  if (p.minSpend !== null && subtotal < p.minSpend) return 'min-spend-not-met' as const
  return null
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)

/** Decides the discounts for `lines` in `currency` from the promotions that may apply. */
export function planDiscounts(
  lines: readonly PolicyLine[],
  currency: Currency,
  promotions: readonly PolicyPromotion[],
): Plan {
  const totals = lines.map((l) => l.quantity * l.unitPrice)
  const subtotal = sum(totals)
  const notApplied: Plan['notApplied'] = []
  const candidates = [...promotions]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((p) => {
      const reason = refusal(p, lines, currency, subtotal)
      if (reason) notApplied.push({ promotionId: p.id, code: p.code, reason })
      return reason === null
    })

  // The best non-stackable on its own; sort is stable, so ties keep the smaller id.
  const exclusive = candidates
    .filter((p) => !p.stackable)
    .map((p) => ({ p, worth: sum(discountOn(p, lines, totals)) }))
    .sort((a, b) => b.worth - a.worth)
  for (const { p } of exclusive.slice(1)) {
    notApplied.push({ promotionId: p.id, code: p.code, reason: 'better-promotion-applies' })
  }
  const chosen = [
    ...(exclusive[0] ? [exclusive[0].p] : []),
    ...candidates.filter((p) => p.stackable),
  ]
  const order = [
    ...chosen.filter((p) => p.discount.type === 'percentage'),
    ...chosen.filter((p) => p.discount.type === 'fixed'),
  ]

  const left = [...totals]
  const planLines: PlanLine[] = lines.map((l, index) => ({
    index,
    sku: l.sku,
    lineTotal: totals[index]!,
    discount: 0,
    allocations: [],
  }))
  const applied: AppliedPromotion[] = []
  for (const p of order) {
    const parts = discountOn(p, lines, left)
    const amount = sum(parts)
    if (amount === 0) {
      notApplied.push({ promotionId: p.id, code: p.code, reason: 'nothing-left-to-discount' })
      continue
    }
    parts.forEach((part, i) => {
      if (part === 0) return
      left[i]! -= part
      planLines[i]!.discount += part
      planLines[i]!.allocations.push({ promotionId: p.id, amount: part })
    })
    applied.push({ promotionId: p.id, name: p.name, code: p.code, amount, reason: explain(p) })
  }
  const discountTotal = sum(applied.map((a) => a.amount))
  return {
    currency,
    subtotal,
    discountTotal,
    total: subtotal - discountTotal,
    lines: planLines,
    applied,
    notApplied,
  }
}

/**
 * A plan with more taken off its lines than the promotions took: `allowances[i]` off line `i`,
 * held to what the line still costs, with the totals following. Allowances are not promotions:
 * nothing is redeemed for them. An exchange allows what makes a replacement of the returned
 * product cost what the returned unit did.
 */
export function withAllowances<P extends Pick<Plan, 'discountTotal' | 'total' | 'lines'>>(
  plan: P,
  allowances: readonly number[],
): P {
  if (allowances.every((a) => a <= 0)) return plan
  let off = 0
  const lines = plan.lines.map((l, i) => {
    const extra = Math.min(Math.max(allowances[i] ?? 0, 0), l.lineTotal - l.discount)
    off += extra
    return extra > 0 ? { ...l, discount: l.discount + extra } : l
  })
  return { ...plan, lines, discountTotal: plan.discountTotal + off, total: plan.total - off }
}
