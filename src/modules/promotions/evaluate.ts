import type { Clock } from '../../kernel/clock.js'
import { ConfigCache } from '../../kernel/config-cache.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import type { Currency } from '../../kernel/money.js'
import { categoriesBySku } from '../catalog/index.js'
import { planDiscounts, type NotAppliedReason, type PolicyPromotion } from './allocation.js'
import type { PromotionRow, PromotionsTables } from './db.js'
import type { EvaluateLine, PlanView } from './schema.js'
import {
  codeRefusal,
  codesWithPromotions,
  promotionRefusal,
  targetOf,
  type Refusal,
} from './service.js'

export type EvaluateInput = {
  lines: readonly EvaluateLine[]
  currency: Currency
  customerId?: string | null | undefined
  // The touchpoint asking; promotions do not yet differ by channel, so it is not read.
  channel: string | null
  coupon?: string | null | undefined
}

function toPolicy(row: PromotionRow, code: string | null): PolicyPromotion {
  return {
    id: row.id,
    name: row.name,
    discount:
      row.discount_type === 'percentage'
        ? { type: 'percentage', percentOff: row.percent_off! }
        : { type: 'fixed', amountOff: row.amount_off_minor! },
    target: targetOf(row),
    currency: row.currency,
    minSpend: row.min_spend_minor,
    stackable: row.stackable,
    code,
  }
}

/** Times each promotion was redeemed by `customerId`, for the promotions given, in one query. */
async function customerUses(
  tx: Tx<PromotionsTables>,
  customerId: string | null,
  ids: readonly string[],
) {
  if (!customerId || ids.length === 0) return new Map<string, number>()
  const rows = await tx
    .selectFrom('promotions.customer_usage')
    .select(['promotion_id', 'used'])
    .where('customer_id', '=', customerId)
    .where('promotion_id', 'in', [...ids])
    .execute()
  return new Map(rows.map((r) => [r.promotion_id, r.used]))
}

function customerRefusal(
  row: PromotionRow,
  customerId: string | null,
  uses: Map<string, number>,
): Refusal | null {
  if (row.per_customer_limit === null) return null
  if (!customerId) return 'customer-required'
  return (uses.get(row.id) ?? 0) >= row.per_customer_limit ? 'customer-limit-reached' : null
}

// Every placement and cart change reads the automatic promotions, which change only through
// `/v1/promotions` writes (they clear this cache when they commit, see ConfigCache).
const automaticCache = new ConfigCache<readonly PromotionRow[]>()

/**
 * The automatic promotions that are on and within their window at `now`. The list is cached;
 * the rows of promotions with a usage limit are read again, since their count of uses moves
 * with every order (one query, and only when there are such promotions).
 */
async function automaticPromotions(tx: Tx<PromotionsTables>, now: Date): Promise<PromotionRow[]> {
  const all = await automaticCache.get(() =>
    tx.selectFrom('promotions.promotion').selectAll().where('trigger', '=', 'automatic').where('active', '=', true).execute(),
  )
  const current = all.filter((p) => (p.starts_at === null || p.starts_at <= now) && (p.ends_at === null || p.ends_at > now))
  const limited = current.filter((p) => p.usage_limit !== null).map((p) => p.id)
  if (limited.length === 0) return current
  const fresh = new Map(
    (await tx.selectFrom('promotions.promotion').selectAll().where('id', 'in', limited).execute()).map((p) => [p.id, p]),
  )
  return current.flatMap((p) => (p.usage_limit === null ? [p] : fresh.has(p.id) ? [fresh.get(p.id)!] : []))
}

// Refusals a coupon can outgrow: the plan's own reasons, and a once-per-customer offer asked
// about for no one yet.
const basketReasons = new Set<string>([
  'min-spend-not-met',
  'no-matching-lines',
  'currency-mismatch',
  'better-promotion-applies',
  'nothing-left-to-discount',
  'customer-required',
] satisfies (NotAppliedReason | Refusal)[])

/**
 * Whether a coupon refused for `reason` may apply once the basket changes (more lines, a higher
 * total, a customer named), so a cart may keep it; every other reason is about the code itself
 * (unknown, expired, used up, already used by this customer).
 */
export function waitsOnBasket(reason: string): boolean {
  return basketReasons.has(reason)
}

/**
 * The discount plan for a basket: every automatic promotion that is on and within its window at
 * the clock's now, plus the coupon's promotion when the code can be used, decided by
 * `planDiscounts`. Read-only: nothing is reserved, so a plan may no longer hold when the order
 * redeems it (`redeem` checks again, in SQL). A refused coupon is not an error here: the plan
 * says why in `refusedCoupon`, so a cart can show it next to the field. At most five queries:
 * the automatic promotions (cached; only those with a usage limit are read each time), the
 * coupon, the customer's uses, and, when a promotion targets categories, the SKUs' categories.
 */
export async function evaluate(
  tx: Tx<PromotionsTables>,
  clock: Clock,
  input: EvaluateInput,
): Promise<PlanView> {
  const now = clock.now()
  const customerId = input.customerId ?? null
  const automatic = await automaticPromotions(tx, now)
  const couponCode = input.coupon?.toUpperCase() ?? null
  const [found] = couponCode ? await codesWithPromotions(tx, [couponCode]) : []
  const candidates = [...automatic, ...(found ? [found.promotion] : [])]
  const uses = await customerUses(
    tx,
    customerId,
    candidates.map((p) => p.id),
  )

  let refusedCoupon: PlanView['refusedCoupon'] = null
  const policy: PolicyPromotion[] = []
  const skipped: PlanView['notApplied'] = []
  for (const row of automatic) {
    const reason = promotionRefusal(row, now) ?? customerRefusal(row, customerId, uses)
    if (reason) skipped.push({ promotionId: row.id, code: null, reason })
    else policy.push(toPolicy(row, null))
  }
  if (couponCode) {
    const reason = !found
      ? 'unknown-code'
      : (codeRefusal(found.code, now) ??
        promotionRefusal(found.promotion, now) ??
        customerRefusal(found.promotion, customerId, uses))
    if (reason) refusedCoupon = { code: couponCode, reason }
    else if (found) policy.push(toPolicy(found.promotion, couponCode))
  }

  // The catalog walk is the dearest read of a placement; only category targets need it.
  const categories = policy.some((p) => p.target.kind === 'categories')
    ? await categoriesBySku(
        crossModule(tx),
        input.lines.map((l) => l.sku),
      )
    : new Map<string, string[]>()
  const plan = planDiscounts(
    input.lines.map((l) => ({
      sku: l.sku,
      categories: categories.get(l.sku) ?? [],
      quantity: l.quantity,
      unitPrice: l.unitPrice.amount,
    })),
    input.currency,
    policy,
  )
  const couponLost = plan.notApplied.find((n) => n.code !== null)
  if (couponLost) refusedCoupon = { code: couponLost.code!, reason: couponLost.reason }
  return { ...plan, notApplied: [...skipped, ...plan.notApplied], refusedCoupon }
}
