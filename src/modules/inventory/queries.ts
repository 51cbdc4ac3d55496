import { crossModule, type Tx } from '../../kernel/db/index.js'
import { validationFailed } from '../../kernel/errors.js'
import { decodeCursor, toPage, type Page } from '../../kernel/http/index.js'
import { sellingMap } from '../channels/index.js'
import { assertLocationsExist } from '../locations/index.js'
import type { InventoryTables } from './db.js'
import { availableOf } from './events.js'
import { assertSkuFound } from './references.js'
import type {
  LedgerEntryView,
  LedgerQuery,
  StockLevelView,
  StockListQuery,
  StockView,
} from './schema.js'
import { toLedgerView, toLevelView } from './stock.js'

type InventoryTx = Tx<InventoryTables>

/** The one key a cursor of ours holds, of the type we put in it. */
function cursorKey<T extends 'string' | 'number'>(
  cursor: string,
  type: T,
): T extends 'string' ? string : number {
  const [key] = decodeCursor(cursor, 1)
  if (typeof key !== type)
    throw validationFailed([{ path: 'query.cursor', message: 'is not a cursor this API gave out' }])
  return key as T extends 'string' ? string : number
}

const levelColumns = [
  'sku',
  'location',
  'on_hand',
  'reserved',
  'safety_stock',
  'low_stock_threshold',
] as const

/**
 * A SKU's stock everywhere and what each channel may promise: per location on-hand, reserved,
 * safety stock and available; per channel the sum of available over the locations it sells
 * from. The same answer whichever key asks. One query; channels' locations come from a cache.
 * An unknown SKU is `not-found`; a known SKU never stocked answers zeros.
 */
export async function stockOf(tx: InventoryTx, sku: string): Promise<StockView> {
  const rows = await tx
    .selectFrom('inventory.stock_level')
    .select(levelColumns)
    .where('sku', '=', sku)
    .orderBy('location')
    .execute()
  if (rows.length === 0) await assertSkuFound(tx, sku)
  const { byChannel } = await sellingMap(crossModule(tx))
  const availableAt = new Map(rows.map((r) => [r.location, availableOf(r)]))
  const sum = (locations: readonly string[]) =>
    locations.reduce((n, l) => n + (availableAt.get(l) ?? 0), 0)
  return {
    sku,
    available: sum([...availableAt.keys()]),
    locations: rows.map((r) => {
      const { sku: _sku, ...view } = toLevelView(r)
      return view
    }),
    channels: Object.fromEntries([...byChannel].map(([code, at]) => [code, sum(at)])),
  }
}

/**
 * A location's stock by SKU (ascending), a page at a time. An unknown location is
 * `validation-failed` at `query.location`.
 */
export async function listStock(
  tx: InventoryTx,
  query: StockListQuery,
): Promise<Page<StockLevelView>> {
  await assertLocationsExist(crossModule(tx), [{ code: query.location, path: 'query.location' }])
  let q = tx
    .selectFrom('inventory.stock_level')
    .select(levelColumns)
    .where('location', '=', query.location)
    .orderBy('sku')
    .limit(query.limit + 1)
  if (query.cursor) q = q.where('sku', '>', cursorKey(query.cursor, 'string'))
  return toPage(await q.execute(), query.limit, (r) => [r.sku], toLevelView)
}

/** A SKU's ledger, newest first, optionally for one location or kind. Unknown SKU: `not-found`. */
export async function ledgerOf(
  tx: InventoryTx,
  sku: string,
  query: LedgerQuery,
): Promise<Page<LedgerEntryView>> {
  let q = tx
    .selectFrom('inventory.ledger_entry')
    .selectAll()
    .where('sku', '=', sku)
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
  if (query.location) q = q.where('location', '=', query.location)
  if (query.kind) q = q.where('kind', '=', query.kind)
  if (query.cursor) q = q.where('id', '<', cursorKey(query.cursor, 'number'))
  const rows = await q.execute()
  if (rows.length === 0 && !query.cursor) await assertSkuFound(tx, sku)
  return toPage(rows, query.limit, (r) => [r.id], toLedgerView)
}

/**
 * Units available to promise per SKU, summed over `locations`, for many SKUs in one query (a
 * cart's lines). SKUs with no stock row there answer 0; unknown SKUs are not checked.
 */
export async function availableBySku(
  tx: InventoryTx,
  skus: readonly string[],
  locations: readonly string[],
): Promise<Map<string, number>> {
  const answer = new Map(skus.map((sku) => [sku, 0]))
  if (skus.length === 0 || locations.length === 0) return answer
  const rows = await tx
    .selectFrom('inventory.stock_level')
    .select(levelColumns)
    .where('sku', 'in', [...new Set(skus)])
    .where('location', 'in', [...new Set(locations)])
    .execute()
  for (const r of rows) answer.set(r.sku, (answer.get(r.sku) ?? 0) + availableOf(r))
  return answer
}

/**
 * Where `skus` have stock to promise: one row per (sku, location) with units available above
 * zero, in one query, so a refused order can point at another store or at delivery.
 */
export async function availableAt(
  tx: InventoryTx,
  skus: readonly string[],
): Promise<{ sku: string; location: string; available: number }[]> {
  if (skus.length === 0) return []
  const rows = await tx
    .selectFrom('inventory.stock_level')
    .select(levelColumns)
    .where('sku', 'in', [...new Set(skus)])
    .orderBy('sku')
    .orderBy('location')
    .execute()
  return rows
    .map((r) => ({ sku: r.sku, location: r.location, available: availableOf(r) }))
    .filter((r) => r.available > 0)
}
