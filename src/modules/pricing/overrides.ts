import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { notFound, validationFailed } from '../../kernel/errors.js'
import { formatMoney, type Currency } from '../../kernel/money.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { assertChannelsExist } from '../channels/index.js'
import type { PricingTables } from './db.js'
import { basePrices, effectivePrices, effectiveView, priceChanged } from './prices.js'
import type { OverrideView, SetOverrideBody, SkuPricesView } from './schema.js'

type OverrideWithBase = {
  sku: string
  currency: Currency
  channel: string
  amount_minor: number
  base: number
  reason: string
  set_by: string
  updated_at: Date
}

export function overrideView(r: Omit<OverrideWithBase, 'sku'>): OverrideView {
  return {
    channel: r.channel,
    amount: r.amount_minor,
    currency: r.currency,
    display: formatMoney({ amount: r.amount_minor, currency: r.currency }),
    baseAmount: r.base,
    reason: r.reason,
    setBy: r.set_by,
    updatedAt: r.updated_at.toISOString(),
  }
}

async function overridesOf(tx: Tx<PricingTables>, sku: string) {
  const rows = await sql<OverrideWithBase>`
    select o.*, p.amount_minor as base
    from pricing.price_override o join pricing.price p on p.sku = o.sku and p.currency = o.currency
    where o.sku = ${sku}
    order by o.channel, o.currency`.execute(tx)
  return rows.rows.map(overrideView)
}

/** A SKU's base prices, its channel overrides, and what `channel` pays; `not-found` if unpriced. */
export async function skuPrices(
  tx: Tx<PricingTables>,
  sku: string,
  channel: string | null,
): Promise<SkuPricesView> {
  const prices = await basePrices(tx, sku)
  const effective = (await effectivePrices(tx, [sku], channel)).map(effectiveView)
  return { sku, prices, effective, overrides: await overridesOf(tx, sku) }
}

/** Throws `validation-failed` at `path` unless `code` names a channel. */
export async function assertChannelExists(tx: Tx<PricingTables>, code: string, path: string) {
  await assertChannelsExist(crossModule(tx), [{ code, path }])
}

/**
 * Sets (or changes) what one channel charges for a SKU in one currency, with the reason. The
 * SKU must be priced (`not-found`), the channel must exist and the currency must have a base
 * price (`validation-failed` at `params.channel` / `price.currency`). The base row is locked
 * `for key share` first, so a concurrent removal of that currency's base price waits or fails
 * instead of leaving an override that shadows nothing; the upsert then settles concurrent
 * setters of the same override in commit order. Appends `pricing.price_changed` when the amount
 * changes.
 */
export async function setOverride(
  tx: Tx<PricingTables>,
  clock: Clock,
  sku: string,
  channel: string,
  input: SetOverrideBody,
  actor: string,
): Promise<{ before: OverrideView | null; after: OverrideView }> {
  await basePrices(tx, sku)
  await assertChannelExists(tx, channel, 'params.channel')
  const { currency, amount } = input.price
  const base = await tx
    .selectFrom('pricing.price')
    .select('amount_minor')
    .where('sku', '=', sku)
    .where('currency', '=', currency)
    .forKeyShare()
    .executeTakeFirst()
  if (!base) {
    throw validationFailed([
      { path: 'price.currency', message: `${sku} has no base price in ${currency}; set one first` },
    ])
  }
  const existing = await tx
    .selectFrom('pricing.price_override')
    .selectAll()
    .where('sku', '=', sku)
    .where('currency', '=', currency)
    .where('channel', '=', channel)
    .forUpdate()
    .executeTakeFirst()
  const now = clock.now()
  const row = await tx
    .insertInto('pricing.price_override')
    .values({
      sku,
      currency,
      channel,
      amount_minor: amount,
      reason: input.reason,
      set_by: actor,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['sku', 'currency', 'channel']).doUpdateSet((eb) => ({
        amount_minor: eb.ref('excluded.amount_minor'),
        reason: eb.ref('excluded.reason'),
        set_by: eb.ref('excluded.set_by'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
  // What the channel paid until now: its previous override, else the base price.
  const before = existing?.amount_minor ?? base.amount_minor
  if (before !== amount) {
    await appendEvents(crossModule(tx), clock, [
      priceChanged({ sku, currency, channel, before, after: amount, reason: input.reason }, null),
    ])
  }
  return {
    before: existing ? overrideView({ ...existing, base: base.amount_minor }) : null,
    after: overrideView({ ...row, base: base.amount_minor }),
  }
}

/**
 * Removes a channel's overrides of a SKU (one currency, or all): the channel pays the base price
 * again. `not-found` when there is nothing to remove. Appends `pricing.price_changed` for each
 * removed override whose amount differed from the base price.
 */
export async function removeOverrides(
  tx: Tx<PricingTables>,
  clock: Clock,
  sku: string,
  channel: string,
  currency?: Currency,
): Promise<{ before: OverrideView[] }> {
  let query = tx
    .deleteFrom('pricing.price_override')
    .where('sku', '=', sku)
    .where('channel', '=', channel)
  if (currency) query = query.where('currency', '=', currency)
  const removed = await query.returningAll().execute()
  if (removed.length === 0)
    throw notFound('price override', `${sku}/${channel}${currency ? `/${currency}` : ''}`)
  const bases = new Map(
    (await effectivePrices(tx, [sku], null)).map((p) => [p.currency, p.baseAmount]),
  )
  const views = removed.map((r) =>
    overrideView({ ...r, base: bases.get(r.currency) ?? r.amount_minor }),
  )
  await appendEvents(
    crossModule(tx),
    clock,
    views
      .filter((v) => v.amount !== v.baseAmount)
      .map((v) =>
        priceChanged(
          {
            sku,
            currency: v.currency,
            channel,
            before: v.amount,
            after: v.baseAmount,
            reason: 'override removed',
          },
          null,
        ),
      ),
  )
  return { before: views }
}
