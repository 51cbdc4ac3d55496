import { randomBytes } from 'node:crypto'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { alreadyExists, DomainError, notFound, validationFailed } from '../../kernel/errors.js'
import { decodeCursor, toPage, type Page } from '../../kernel/http/index.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { CouponCodeRow, PromotionRow, PromotionsTables } from './db.js'
import type {
  CouponView,
  CreateCodesBody,
  CreatePromotionBody,
  PromotionQuery,
  PromotionView,
  Target,
  UpdatePromotionBody,
} from './schema.js'

type PromotionsTx = Tx<PromotionsTables>

export type Refusal =
  | 'unknown-code'
  | 'expired'
  | 'already-redeemed'
  | 'inactive'
  | 'not-started'
  | 'ended'
  | 'usage-limit-reached'
  | 'customer-limit-reached'
  | 'customer-required'
  | 'code-required'
  | 'automatic-promotion'

/** The refusal of a code or promotion; `reason` is a `Refusal` or the plan's `NotAppliedReason`. */
export function couponNotApplicable(
  reason: string,
  refs: { promotionId?: string; code?: string },
) {
  const what = refs.code ? `Coupon ${refs.code}` : `Promotion ${refs.promotionId}`
  return new DomainError('coupon-not-applicable', `${what} cannot be used: ${reason}`, {
    reason,
    ...refs,
  })
}

export function targetOf(row: PromotionRow): Target {
  if (row.target_kind === 'skus') return { kind: 'skus', skus: row.target_codes }
  if (row.target_kind === 'categories') return { kind: 'categories', categories: row.target_codes }
  return { kind: 'order' }
}

export function toView(row: PromotionRow): PromotionView {
  const money = (amount: number | null) =>
    amount !== null && row.currency ? { amount, currency: row.currency } : null
  return {
    id: row.id,
    name: row.name,
    trigger: row.trigger,
    code: row.code,
    discount:
      row.discount_type === 'percentage'
        ? { type: 'percentage', percentOff: row.percent_off! }
        : { type: 'fixed', amountOff: money(row.amount_off_minor)! },
    target: targetOf(row),
    minSpend: money(row.min_spend_minor),
    startsAt: row.starts_at?.toISOString() ?? null,
    endsAt: row.ends_at?.toISOString() ?? null,
    active: row.active,
    stackable: row.stackable,
    usageLimit: row.usage_limit,
    perCustomerLimit: row.per_customer_limit,
    used: row.used,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Why a promotion cannot be used at `now` judged on the row alone; null when it can. */
export function promotionRefusal(row: PromotionRow, now: Date): Refusal | null {
  if (!row.active) return 'inactive'
  if (row.starts_at && row.starts_at > now) return 'not-started'
  if (row.ends_at && row.ends_at <= now) return 'ended'
  if (row.usage_limit !== null && row.used >= row.usage_limit) return 'usage-limit-reached'
  return null
}

/** Why a code cannot be used at `now` judged on its row alone; null when it can. */
export function codeRefusal(code: CouponCodeRow, now: Date): Refusal | null {
  if (code.expires_at && code.expires_at <= now) return 'expired'
  if (code.single_use && code.redeemed_at) return 'already-redeemed'
  return null
}

/**
 * Creates a promotion; a coupon promotion's shared code joins the one code namespace, so a taken
 * code is `already-exists` at `code`. Appends `promotion.created`.
 */
export async function createPromotion(tx: PromotionsTx, clock: Clock, input: CreatePromotionBody) {
  const now = clock.now()
  const { discount, target } = input
  const code = input.code?.toUpperCase() ?? null
  const row = await tx
    .insertInto('promotions.promotion')
    .values({
      id: newId('prm'),
      name: input.name,
      trigger: input.trigger,
      code,
      discount_type: discount.type,
      percent_off: discount.type === 'percentage' ? discount.percentOff : null,
      amount_off_minor: discount.type === 'fixed' ? discount.amountOff.amount : null,
      currency:
        discount.type === 'fixed'
          ? discount.amountOff.currency
          : (input.minSpend?.currency ?? null),
      target_kind: target.kind,
      target_codes:
        target.kind === 'skus'
          ? target.skus
          : target.kind === 'categories'
            ? target.categories
            : [],
      min_spend_minor: input.minSpend?.amount ?? null,
      starts_at: input.startsAt ? new Date(input.startsAt) : null,
      ends_at: input.endsAt ? new Date(input.endsAt) : null,
      active: true,
      stackable: input.stackable,
      usage_limit: input.usageLimit ?? null,
      per_customer_limit: input.perCustomerLimit ?? null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  if (code) {
    const claimed = await tx
      .insertInto('promotions.coupon_code')
      .values({
        code,
        promotion_id: row.id,
        single_use: false,
        expires_at: null,
        redeemed_at: null,
        order_ref: null,
        created_at: now,
      })
      .onConflict((oc) => oc.column('code').doNothing())
      .returning('code')
      .executeTakeFirst()
    if (!claimed) throw alreadyExists('coupon', 'code', code)
  }
  const view = toView(row)
  await appendEvents(crossModule(tx), clock, [
    { name: 'promotion.created', version: 1, payload: view },
  ])
  return view
}

export async function findPromotion(tx: Tx<PromotionsTables>, id: string): Promise<PromotionRow> {
  const row = await tx
    .selectFrom('promotions.promotion')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('promotion', id)
  return row
}

/** Promotions, newest first, one page at a time. */
export async function listPromotions(
  tx: Tx<PromotionsTables>,
  query: PromotionQuery,
): Promise<Page<PromotionView>> {
  let q = tx
    .selectFrom('promotions.promotion')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
  if (query.active) q = q.where('active', '=', query.active === 'true')
  if (query.cursor) q = q.where('id', '<', String(decodeCursor(query.cursor, 1)[0]))
  return toPage(await q.execute(), query.limit, (r) => [r.id], toView)
}

/**
 * Renames, switches on or off, moves the validity window or changes the limits of a promotion.
 * A window whose end is not after its start is `validation-failed` at `endsAt`.
 */
export async function updatePromotion(
  tx: Tx<PromotionsTables>,
  clock: Clock,
  id: string,
  patch: UpdatePromotionBody,
) {
  const before = await findPromotion(tx, id)
  const date = (v: string | null | undefined, was: Date | null) =>
    v === undefined ? was : v === null ? null : new Date(v)
  const startsAt = date(patch.startsAt, before.starts_at)
  const endsAt = date(patch.endsAt, before.ends_at)
  if (startsAt && endsAt && endsAt <= startsAt) {
    throw validationFailed([{ path: 'endsAt', message: 'must be after startsAt' }])
  }
  const after = await tx
    .updateTable('promotions.promotion')
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.active !== undefined && { active: patch.active }),
      ...(patch.usageLimit !== undefined && { usage_limit: patch.usageLimit }),
      ...(patch.perCustomerLimit !== undefined && { per_customer_limit: patch.perCustomerLimit }),
      starts_at: startsAt,
      ends_at: endsAt,
      updated_at: clock.now(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before: toView(before), after: toView(after) }
}

// Crockford base32 without look-alikes, in capitals: easy to read off a receipt or a QR label.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

function randomCode(): string {
  return [...randomBytes(12)].map((b) => alphabet[b % 32]).join('')
}

/**
 * Makes `count` single-use codes for a coupon promotion, in one insert; 60 random bits each, so
 * a clash with an existing code is vanishingly rare, and a clashing code is skipped and made
 * again. An automatic promotion has no codes: `coupon-not-applicable` (automatic-promotion).
 */
export async function createCodes(
  tx: Tx<PromotionsTables>,
  clock: Clock,
  id: string,
  input: CreateCodesBody,
) {
  const promotion = await findPromotion(tx, id)
  if (promotion.trigger === 'automatic')
    throw couponNotApplicable('automatic-promotion', { promotionId: id })
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null
  const made: string[] = []
  for (let attempt = 0; made.length < input.count && attempt < 5; attempt++) {
    const wanted = Array.from({ length: input.count - made.length }, randomCode)
    const now = clock.now()
    const rows = await tx
      .insertInto('promotions.coupon_code')
      .values(
        wanted.map((code) => ({
          code,
          promotion_id: id,
          single_use: true,
          expires_at: expiresAt,
          redeemed_at: null,
          order_ref: null,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.column('code').doNothing())
      .returning('code')
      .execute()
    made.push(...rows.map((r) => r.code))
  }
  return made.map((code) => ({
    code,
    promotionId: id,
    singleUse: true,
    expiresAt: expiresAt?.toISOString() ?? null,
  }))
}

/** Whether a code can be used now and for which promotion; an unknown code is `not-found`. */
export async function couponStatus(
  tx: Tx<PromotionsTables>,
  clock: Clock,
  raw: string,
): Promise<CouponView> {
  const code = await tx
    .selectFrom('promotions.coupon_code')
    .selectAll()
    .where('code', '=', raw.toUpperCase())
    .executeTakeFirst()
  if (!code) throw notFound('coupon', raw)
  const promotion = await findPromotion(tx, code.promotion_id)
  const reason = codeRefusal(code, clock.now()) ?? promotionRefusal(promotion, clock.now())
  return {
    code: code.code,
    valid: reason === null,
    reason,
    singleUse: code.single_use,
    expiresAt: code.expires_at?.toISOString() ?? null,
    promotion: toView(promotion),
  }
}

/** The code rows for `codes` (in capitals) and their promotions: two queries. */
export async function codesWithPromotions(tx: Tx<PromotionsTables>, codes: readonly string[]) {
  if (codes.length === 0) return []
  const rows = await tx
    .selectFrom('promotions.coupon_code')
    .selectAll()
    .where('code', 'in', [...codes])
    .execute()
  const promotions = await promotionsById(
    tx,
    rows.map((r) => r.promotion_id),
  )
  return rows.map((code) => ({ code, promotion: promotions.get(code.promotion_id)! }))
}

export async function promotionsById(tx: Tx<PromotionsTables>, ids: readonly string[]) {
  if (ids.length === 0) return new Map<string, PromotionRow>()
  const rows = await tx
    .selectFrom('promotions.promotion')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((r) => [r.id, r]))
}
