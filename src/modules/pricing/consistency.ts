import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import { decodeCursor, toPage, type Page } from '../../kernel/http/index.js'
import type { Currency } from '../../kernel/money.js'
import type { PricingTables } from './db.js'
import { overrideView } from './overrides.js'
import { priceView, type ConsistencyEntry, type ConsistencyQuery } from './schema.js'

type Row = {
  sku: string
  currency: Currency
  base: number
  channel: string
  amount_minor: number
  reason: string
  set_by: string
  updated_at: Date
}

/**
 * Every (SKU, currency) some channel pays differently from the base price, with the base price
 * and each differing override, ordered by SKU then currency. An override equal to the base price
 * differs from nothing and is not listed. One query: the CTE picks a page of (sku, currency)
 * pairs after the cursor, the outer select their differing overrides.
 */
export async function consistencyReport(
  tx: Tx<PricingTables>,
  query: ConsistencyQuery,
): Promise<Page<ConsistencyEntry>> {
  const [afterSku, afterCurrency] = query.cursor
    ? decodeCursor(query.cursor, 2).map(String)
    : [null, null]
  const channel = query.channel ?? null
  const currency = query.currency ?? null
  const differs = sql`o.amount_minor <> p.amount_minor
    and (${channel}::text is null or o.channel = ${channel}::text)
    and (${currency}::text is null or o.currency = ${currency}::text)`
  const rows = await sql<Row>`
    with pairs as (
      select distinct o.sku, o.currency
      from pricing.price_override o join pricing.price p on p.sku = o.sku and p.currency = o.currency
      where ${differs}
        and (${afterSku}::text is null or (o.sku, o.currency) > (${afterSku}::text, ${afterCurrency}::text))
      order by o.sku, o.currency
      limit ${query.limit + 1}
    )
    select o.sku, o.currency, p.amount_minor as base, o.channel, o.amount_minor, o.reason, o.set_by, o.updated_at
    from pairs
    join pricing.price_override o on o.sku = pairs.sku and o.currency = pairs.currency
    join pricing.price p on p.sku = o.sku and p.currency = o.currency
    where ${differs}
    order by o.sku, o.currency, o.channel`.execute(tx)

  const entries: (ConsistencyEntry & { key: [string, string] })[] = []
  for (const r of rows.rows) {
    const last = entries.at(-1)
    const view = overrideView(r)
    if (last && last.sku === r.sku && last.currency === r.currency) last.overrides.push(view)
    else
      entries.push({
        key: [r.sku, r.currency],
        sku: r.sku,
        currency: r.currency,
        base: priceView(r.base, r.currency),
        overrides: [view],
      })
  }
  return toPage(
    entries,
    query.limit,
    (e) => e.key,
    ({ key: _key, ...entry }) => entry,
  )
}
