import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, RetryTransaction, type Tx } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { InventoryTables } from './db.js'
import { crossingEvents } from './events.js'
import { assertKnown } from './references.js'
import type { StockLevelView } from './schema.js'
import { ensureLevels, keyOf, toLevelView, type Level } from './stock.js'

export type StockSettingsInput = {
  sku: string
  location: string
  safetyStock?: number | undefined
  /** null clears the threshold; undefined leaves it. */
  lowStockThreshold?: number | null | undefined
}

/** Later settings for the same (sku, location) win, field by field. */
function merge(inputs: readonly StockSettingsInput[]): StockSettingsInput[] {
  const merged = new Map<string, StockSettingsInput>()
  for (const input of inputs) {
    const seen = merged.get(keyOf(input)) ?? { sku: input.sku, location: input.location }
    merged.set(keyOf(input), {
      ...seen,
      ...(input.safetyStock !== undefined && { safetyStock: input.safetyStock }),
      ...(input.lowStockThreshold !== undefined && { lowStockThreshold: input.lowStockThreshold }),
    })
  }
  return [...merged.values()]
}

/**
 * Sets safety stock and/or low-stock thresholds per (sku, location), set-based (imports send
 * thousands), creating stock rows at zero where needed, and answers each row before and after
 * for the audit trail. Rows are locked in (sku, location) order and the old values are read by
 * the statement that writes the new ones. Raising safety stock lowers what can be sold, so it
 * may append `inventory.low` or `inventory.out_of_stock`; lowering it `inventory.back_in_stock`.
 * Unknown SKUs or locations are `validation-failed` at `path(i, field)`. Takes one setting or many.
 */
export async function setStockSettings(
  tx: Tx<InventoryTables>,
  clock: Clock,
  many: StockSettingsInput | readonly StockSettingsInput[],
  path: (index: number, field: 'sku' | 'location') => string = (i, field) => `${i}.${field}`,
): Promise<{ before: StockLevelView; after: StockLevelView }[]> {
  const inputs: readonly StockSettingsInput[] = Array.isArray(many) ? many : [many]
  if (inputs.length === 0) return []
  await assertKnown(
    tx,
    inputs.map((s, i) => ({ sku: s.sku, path: path(i, 'sku') })),
    inputs.map((s, i) => ({ code: s.location, path: path(i, 'location') })),
  )
  const now = clock.now()
  const settings = merge(inputs)
  await ensureLevels(tx, now, settings)
  const all = await sql<Level & { prior_safety_stock: number; prior_threshold: number | null; expected: number }>`
    with v(sku, location, safety_stock, sets_threshold, threshold) as (
      select * from unnest(${settings.map((s) => s.sku)}::text[],
                           ${settings.map((s) => s.location)}::text[],
                           ${settings.map((s) => s.safetyStock ?? null)}::bigint[],
                           ${settings.map((s) => s.lowStockThreshold !== undefined)}::boolean[],
                           ${settings.map((s) => s.lowStockThreshold ?? null)}::bigint[])
    ),
    prior as materialized (
      select s.sku, s.location, s.safety_stock, s.low_stock_threshold from inventory.stock_level s
      join v on v.sku = s.sku and v.location = s.location
      order by s.sku, s.location
      for update of s
    ),
    upd as (
      update inventory.stock_level s
      set safety_stock = coalesce(v.safety_stock, s.safety_stock),
          low_stock_threshold = case when v.sets_threshold then v.threshold
                                     else s.low_stock_threshold end,
          updated_at = ${now}
      from v join prior on prior.sku = v.sku and prior.location = v.location
      where s.sku = v.sku and s.location = v.location
      returning s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold,
                prior.safety_stock as prior_safety_stock,
                prior.low_stock_threshold as prior_threshold
    )
    select upd.*, e.expected from (select count(*)::int as expected from prior) e
    left join upd on true`.execute(tx)
  const rows = all.rows.filter((r) => r.sku !== null).map(({ expected: _expected, ...row }) => row)
  if (rows.length < (all.rows[0]?.expected ?? 0)) throw new RetryTransaction('stock settings: a locked row was skipped')
  const changes = rows.map(({ prior_safety_stock, prior_threshold, ...after }) => ({
    after,
    before: { ...after, safety_stock: prior_safety_stock, low_stock_threshold: prior_threshold },
  }))
  await appendEvents(crossModule(tx), clock, crossingEvents(changes, null))
  return changes.map((c) => ({ before: toLevelView(c.before), after: toLevelView(c.after) }))
}
