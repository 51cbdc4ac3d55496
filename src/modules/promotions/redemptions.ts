import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { PromotionRow, PromotionsTables, RedemptionRow } from './db.js'
import type { RedeemedView } from './schema.js'
import {
  codeRefusal,
  codesWithPromotions,
  couponNotApplicable,
  promotionRefusal,
  promotionsById,
} from './service.js'

type PromotionsTx = Tx<PromotionsTables>

export type RedeemInput = {
  orderRef: string
  customerId?: string | null | undefined
  channel: string | null
  promotionIds?: readonly string[] | undefined
  codes?: readonly string[] | undefined
}

function view(r: RedemptionRow): RedeemedView['data'][number] {
  return {
    id: r.id,
    promotionId: r.promotion_id,
    code: r.code,
    customerId: r.customer_id,
    orderRef: r.order_ref,
    channel: r.channel,
    createdAt: r.created_at.toISOString(),
  }
}

type Wanted = { promotion: PromotionRow; code: string | null; singleUse: boolean }

/** Resolves ids and codes to promotions, refusing what can never be redeemed as named. */
async function wantedPromotions(
  tx: Tx<PromotionsTables>,
  clock: Clock,
  input: RedeemInput,
): Promise<Wanted[]> {
  const codes = [...new Set((input.codes ?? []).map((c) => c.toUpperCase()))]
  const byCode = await codesWithPromotions(tx, codes)
  const unknown = codes.find((c) => !byCode.some((f) => f.code.code === c))
  if (unknown) throw couponNotApplicable('unknown-code', { code: unknown })
  const byId = await promotionsById(tx, input.promotionIds ?? [])
  const wanted = new Map<string, Wanted>()
  for (const id of input.promotionIds ?? []) {
    const promotion = byId.get(id)
    if (!promotion) throw notFound('promotion', id)
    if (promotion.trigger === 'coupon')
      throw couponNotApplicable('code-required', { promotionId: id })
    wanted.set(id, { promotion, code: null, singleUse: false })
  }
  for (const { code, promotion } of byCode) {
    // A code this very order took is a retry, answered below with the earlier redemption.
    const ours = code.single_use && code.order_ref === input.orderRef
    const reason = ours ? null : codeRefusal(code, clock.now())
    if (reason) throw couponNotApplicable(reason, { code: code.code, promotionId: promotion.id })
    wanted.set(promotion.id, { promotion, code: code.code, singleUse: code.single_use })
  }
  const customerId = input.customerId ?? null
  for (const w of wanted.values()) {
    if (w.promotion.per_customer_limit !== null && !customerId) {
      throw couponNotApplicable('customer-required', {
        promotionId: w.promotion.id,
        ...(w.code && { code: w.code }),
      })
    }
  }
  return [...wanted.values()].sort((a, b) => (a.promotion.id < b.promotion.id ? -1 : 1))
}

/**
 * Records that `orderRef` uses the named promotions and codes: every one or none (a refusal
 * throws `coupon-not-applicable` with its `reason`, aborting the caller's transaction).
 * Guards, each one statement whose row count decides, so limits hold under concurrency:
 * - the redemption row is unique per (order, promotion) while not released: an order redeeming
 *   again counts nothing twice and gets its earlier redemptions back;
 * - `used < usage_limit` (and active, within the window) in the promotion row's UPDATE: racers
 *   queue on the row lock and each re-checks the rule against the row the previous one left;
 * - the (promotion, customer) usage row is upserted with `used < per_customer_limit` in ON
 *   CONFLICT … WHERE: a second channel's insert waits on the first's, then finds the limit met,
 *   so a coupon once per customer is once across web, app and store;
 * - a single-use code is taken with `redeemed_at is null` in its UPDATE.
 * Appends `promotion.redeemed`.
 */
export async function redeem(
  tx: PromotionsTx,
  clock: Clock,
  input: RedeemInput,
): Promise<RedeemedView> {
  const wanted = await wantedPromotions(tx, clock, input)
  const now = clock.now()
  const customerId = input.customerId ?? null
  const fresh = await sql<RedemptionRow>`
    insert into promotions.redemption (id, promotion_id, code, customer_id, order_ref, channel, created_at)
    select r.id, r.promotion_id, r.code, ${customerId}, ${input.orderRef}, ${input.channel}, ${now}
    from unnest(${wanted.map(() => newId('rdm'))}::text[], ${wanted.map((w) => w.promotion.id)}::text[],
                ${wanted.map((w) => w.code)}::text[]) as r(id, promotion_id, code)
    on conflict (order_ref, promotion_id) where released_at is null do nothing
    returning *`.execute(tx)
  const freshIds = fresh.rows.map((r) => r.promotion_id)
  if (freshIds.length > 0) {
    await countUses(tx, now, freshIds, wanted)
    await countCustomerUses(
      tx,
      customerId,
      wanted.filter((w) => freshIds.includes(w.promotion.id)),
    )
    await takeSingleUseCodes(
      tx,
      now,
      input.orderRef,
      wanted.filter((w) => w.singleUse && freshIds.includes(w.promotion.id)),
    )
    await appendEvents(crossModule(tx), clock, [
      {
        name: 'promotion.redeemed',
        version: 1,
        payload: { orderRef: input.orderRef, customerId, redemptions: fresh.rows.map(view) },
        channel: input.channel,
        profileId: customerId,
      },
    ])
  }
  const all = await tx
    .selectFrom('promotions.redemption')
    .selectAll()
    .where('order_ref', '=', input.orderRef)
    .where('released_at', 'is', null)
    .where(
      'promotion_id',
      'in',
      wanted.map((w) => w.promotion.id),
    )
    .orderBy('promotion_id')
    .execute()
  return { orderRef: input.orderRef, data: all.map(view) }
}

async function countUses(tx: Tx<PromotionsTables>, now: Date, ids: string[], wanted: Wanted[]) {
  const counted = await sql<{ id: string }>`
    update promotions.promotion set used = used + 1
    where id = any(${ids}::text[]) and active
      and (starts_at is null or starts_at <= ${now}) and (ends_at is null or ends_at > ${now})
      and (usage_limit is null or used < usage_limit)
    returning id`.execute(tx)
  if (counted.rows.length === ids.length) return
  const missing = ids.find((id) => !counted.rows.some((r) => r.id === id))!
  const current = (await promotionsById(tx, [missing])).get(missing)!
  const code = wanted.find((w) => w.promotion.id === missing)?.code
  throw couponNotApplicable(promotionRefusal(current, now) ?? 'usage-limit-reached', {
    promotionId: missing,
    ...(code && { code }),
  })
}

async function countCustomerUses(
  tx: Tx<PromotionsTables>,
  customerId: string | null,
  wanted: Wanted[],
) {
  if (!customerId || wanted.length === 0) return
  const ids = wanted.map((w) => w.promotion.id)
  // The limit is read from the promotion row in the same statement, so a changed limit counts.
  const counted = await sql<{ promotion_id: string }>`
    insert into promotions.customer_usage as u (promotion_id, customer_id, used)
    select id, ${customerId}, 1 from unnest(${ids}::text[]) as r(id)
    on conflict (promotion_id, customer_id) do update set used = u.used + 1
    where u.used < coalesce(
      (select p.per_customer_limit from promotions.promotion p where p.id = u.promotion_id), 2147483647)
    returning promotion_id`.execute(tx)
  if (counted.rows.length === ids.length) return
  const missing = wanted.find((w) => !counted.rows.some((r) => r.promotion_id === w.promotion.id))!
  throw couponNotApplicable('customer-limit-reached', {
    promotionId: missing.promotion.id,
    ...(missing.code && { code: missing.code }),
  })
}

async function takeSingleUseCodes(
  tx: Tx<PromotionsTables>,
  now: Date,
  orderRef: string,
  wanted: Wanted[],
) {
  if (wanted.length === 0) return
  const codes = wanted.map((w) => w.code!)
  const taken = await tx
    .updateTable('promotions.coupon_code')
    .set({ redeemed_at: now, order_ref: orderRef })
    .where('code', 'in', codes)
    .where('redeemed_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .returning('code')
    .execute()
  const missing = codes.find((c) => !taken.some((t) => t.code === c))
  if (missing) throw couponNotApplicable('already-redeemed', { code: missing })
}

/**
 * Gives back what a cancelled order redeemed: its redemptions are marked released, the total and
 * per-customer counters go down by what they counted, and its single-use codes can be used
 * again. One statement; releasing twice releases nothing the second time (the redemption rows
 * are claimed by `released_at is null`). Appends `promotion.redemption_released` when anything
 * was released. Answers the released redemptions.
 */
export async function releaseRedemption(
  tx: PromotionsTx,
  clock: Clock,
  input: { orderRef: string },
) {
  const now = clock.now()
  const released = await sql<RedemptionRow>`
    with released as (
      update promotions.redemption set released_at = ${now}
      where order_ref = ${input.orderRef} and released_at is null
      returning *
    ), totals as (
      update promotions.promotion p set used = p.used - r.n
      from (select promotion_id, count(*)::int as n from released group by promotion_id) r
      where p.id = r.promotion_id
    ), customers as (
      update promotions.customer_usage u set used = u.used - r.n
      from (select promotion_id, customer_id, count(*)::int as n from released
            where customer_id is not null group by promotion_id, customer_id) r
      where u.promotion_id = r.promotion_id and u.customer_id = r.customer_id
    ), codes as (
      update promotions.coupon_code k set redeemed_at = null, order_ref = null
      where k.single_use and k.order_ref = ${input.orderRef}
        and k.code in (select code from released where code is not null)
    )
    select * from released order by promotion_id`.execute(tx)
  if (released.rows.length > 0) {
    await appendEvents(crossModule(tx), clock, [
      {
        name: 'promotion.redemption_released',
        version: 1,
        payload: { orderRef: input.orderRef, redemptions: released.rows.map(view) },
      },
    ])
  }
  return released.rows.map(view)
}
