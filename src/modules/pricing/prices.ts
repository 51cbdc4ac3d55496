import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, rowsOf, statement, type Tx } from '../../kernel/db/index.js'
import { notFound, validationFailed } from '../../kernel/errors.js'
import type { Currency, Money } from '../../kernel/money.js'
import { appendEvents, type NewEvent } from '../../kernel/outbox/index.js'
import type { PricingTables } from './db.js'
import type { PriceChanged } from './events.js'
import { priceView, type PriceView } from './schema.js'

/** A price as one channel sees it: its override when it has one, else the base price. */
export type EffectivePrice = {
  sku: string
  amount: number
  currency: Currency
  baseAmount: number
  source: 'base' | 'override'
}

export function effectiveView(p: EffectivePrice): PriceView {
  return priceView(p.amount, p.currency, p.source)
}

/**
 * Stores the first base prices of new SKUs (the catalog calls this while creating variants).
 * One INSERT over `unnest`, so the statement has six parameters whatever the batch size. A SKU
 * that already has a price in that currency violates the primary key: SKUs are new here, so that
 * would be a bug, not a client mistake. Appends no event: `catalog.product_created` carries them.
 */
export async function insertBasePrices(
  tx: Tx<PricingTables>,
  clock: Clock,
  prices: readonly { sku: string; price: Money }[],
): Promise<void> {
  if (prices.length === 0) return
  const now = clock.now()
  await sql`
    insert into pricing.price (sku, currency, amount_minor, created_at, updated_at)
    select sku, currency, amount, ${now}, ${now}
    from unnest(${prices.map((p) => p.sku)}::text[], ${prices.map((p) => p.price.currency)}::text[],
                ${prices.map((p) => p.price.amount)}::bigint[]) as r(sku, currency, amount)`.execute(
    tx,
  )
}

const pricesOf = statement(
  (_db, p: { skus: [string][]; channel: string | null; currency: Currency | null }) => sql<{
    sku: string
    currency: Currency
    base: number
    override: number | null
  }>`
    select p.sku, p.currency, p.amount_minor as base, o.amount_minor as override
    from ${rowsOf('q', [['sku', 'text']], p.skus)}
    cross join lateral (
      select sku, currency, amount_minor from pricing.price p
      where p.sku = q.sku
        and (${p.currency}::text is null or p.currency = ${p.currency}::text)
      offset 0) p
    left join lateral (
      select amount_minor from pricing.price_override o
      where o.sku = p.sku and o.currency = p.currency and o.channel = ${p.channel}
      offset 0) o on true
    order by p.sku, p.currency`,
)

/**
 * Every price of `skus` as `channel` sees it (null: the base price book), optionally in one
 * currency, in one query. SKUs without a price are simply absent from the answer. Each SKU is
 * looked up on the primary keys: a plan kept for every call must not depend on table sizes.
 */
export async function effectivePrices(
  tx: Tx<PricingTables>,
  skus: readonly string[],
  channel: string | null,
  currency?: Currency,
): Promise<EffectivePrice[]> {
  if (skus.length === 0) return []
  const rows = await pricesOf.execute(tx, {
    skus: [...new Set(skus)].map((sku): [string] => [sku]),
    channel,
    currency: currency ?? null,
  })
  return rows.map((r) => ({
    sku: r.sku,
    currency: r.currency,
    baseAmount: r.base,
    amount: r.override ?? r.base,
    source: r.override === null ? 'base' : 'override',
  }))
}

/** The base prices of one SKU; `not-found` when the SKU has none (it is not in the catalog). */
export async function basePrices(tx: Tx<PricingTables>, sku: string): Promise<PriceView[]> {
  const rows = await tx
    .selectFrom('pricing.price')
    .select(['currency', 'amount_minor'])
    .where('sku', '=', sku)
    .orderBy('currency')
    .execute()
  if (rows.length === 0) throw notFound('sku', sku)
  return rows.map((r) => priceView(r.amount_minor, r.currency))
}

/**
 * Replaces a SKU's base prices with `prices` (one per currency). Every SKU in the catalog has a
 * price from its creation, so a SKU without one is `not-found`. Dropping a currency that still
 * has channel overrides is refused (`validation-failed` at `prices`): the overrides would shadow
 * nothing. Appends one `pricing.price_changed` per currency whose amount changed. The upsert and
 * the delete each take the rows' locks, so two concurrent writers serialise per SKU.
 */
export async function setBasePrices(
  tx: Tx<PricingTables>,
  clock: Clock,
  sku: string,
  prices: readonly Money[],
  channel: string | null = null,
): Promise<{ before: PriceView[]; after: PriceView[] }> {
  const locked = await tx
    .selectFrom('pricing.price')
    .select(['currency', 'amount_minor'])
    .where('sku', '=', sku)
    .orderBy('currency')
    .forUpdate()
    .execute()
  if (locked.length === 0) throw notFound('sku', sku)
  const kept = prices.map((p) => p.currency)
  const orphaned = await tx
    .selectFrom('pricing.price_override')
    .select(['currency', 'channel'])
    .where('sku', '=', sku)
    .where('currency', 'not in', kept)
    .execute()
  if (orphaned.length > 0) {
    throw validationFailed([
      {
        path: 'prices',
        message: `cannot drop ${[...new Set(orphaned.map((o) => o.currency))].join(', ')}: channel overrides use it (${orphaned.map((o) => o.channel).join(', ')}); remove them first`,
      },
    ])
  }
  const now = clock.now()
  await tx
    .deleteFrom('pricing.price')
    .where('sku', '=', sku)
    .where('currency', 'not in', kept)
    .execute()
  await tx
    .insertInto('pricing.price')
    .values(
      prices.map((p) => ({
        sku,
        currency: p.currency,
        amount_minor: p.amount,
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['sku', 'currency']).doUpdateSet((eb) => ({
        amount_minor: eb.ref('excluded.amount_minor'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute()
  const before = new Map(locked.map((r) => [r.currency, r.amount_minor]))
  const after = new Map(prices.map((p) => [p.currency, p.amount]))
  const currencies = [...new Set([...before.keys(), ...after.keys()])].sort()
  const events: NewEvent[] = currencies
    .filter((c) => before.get(c) !== after.get(c))
    .map((c) =>
      priceChanged(
        { sku, currency: c, channel: null, before: before.get(c), after: after.get(c) },
        channel,
      ),
    )
  await appendEvents(crossModule(tx), clock, events)
  return {
    before: locked.map((r) => priceView(r.amount_minor, r.currency)),
    after: [...prices]
      .sort((a, b) => a.currency.localeCompare(b.currency))
      .map((p) => priceView(p.amount, p.currency)),
  }
}

/** The `pricing.price_changed` fact; `change.channel` null means the base price book. */
export function priceChanged(
  change: {
    sku: string
    currency: Currency
    channel: string | null
    before?: number | undefined
    after?: number | undefined
    reason?: string
  },
  actingChannel: string | null,
): NewEvent {
  const payload: PriceChanged = {
    sku: change.sku,
    currency: change.currency,
    priceChannel: change.channel,
    before: change.before ?? null,
    after: change.after ?? null,
    ...(change.reason !== undefined && { reason: change.reason }),
  }
  return { name: 'pricing.price_changed', version: 1, payload, channel: actingChannel }
}
