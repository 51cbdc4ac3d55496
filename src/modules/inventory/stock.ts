import { sql } from 'kysely'
import { RetryTransaction, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import type { InventoryTables, LedgerEntryRow, LedgerKind, StockLevelRow } from './db.js'
import { availableOf } from './events.js'
import type { LedgerEntryView, StockLevelView } from './schema.js'

type InventoryTx = Tx<InventoryTables>

export type StockKey = { sku: string; location: string }
export type Level = Omit<StockLevelRow, 'updated_at'>
export type LevelChange = { before: Level; after: Level }
export type Shortage = { sku: string; location?: string; requested: number; available: number }

export const keyOf = (k: StockKey) => `${k.sku}\u0000${k.location}`

export function toLevelView(l: Level): StockLevelView {
  return {
    sku: l.sku,
    location: l.location,
    onHand: l.on_hand,
    reserved: l.reserved,
    safetyStock: l.safety_stock,
    available: availableOf(l),
    lowStockThreshold: l.low_stock_threshold,
  }
}

export function toLedgerView(row: LedgerEntryRow): LedgerEntryView {
  return {
    id: row.id,
    sku: row.sku,
    location: row.location,
    kind: row.kind,
    quantity: row.quantity,
    reason: row.reason,
    actor: row.actor,
    reference: row.reference,
    occurredAt: row.occurred_at.toISOString(),
  }
}

export function insufficientStock(shortages: Shortage[], detail?: string) {
  const text =
    detail ??
    shortages
      .map(
        (s) =>
          `${s.sku}${s.location ? ` at ${s.location}` : ''}: ` +
          `${s.requested} asked, ${s.available} available`,
      )
      .join('; ')
  return new DomainError('insufficient-stock', text, { shortages })
}

/**
 * Creates missing stock rows at zero, so inbound stock has a row to land on. Keys go in sorted
 * order so that two writers creating the same rows wait on each other in one order only.
 */
export async function ensureLevels(tx: InventoryTx, now: Date, keys: readonly StockKey[]) {
  const unique = [...new Map(keys.map((k) => [keyOf(k), k])).values()].sort(compareKeys)
  if (unique.length === 0) return
  await sql`
    insert into inventory.stock_level (sku, location, on_hand, reserved, safety_stock, updated_at)
    select sku, location, 0, 0, 0, ${now}
    from unnest(${unique.map((k) => k.sku)}::text[], ${unique.map((k) => k.location)}::text[])
      as k(sku, location)
    on conflict (sku, location) do nothing`.execute(tx)
}

export function compareKeys(a: StockKey, b: StockKey): number {
  return a.sku < b.sku
    ? -1
    : a.sku > b.sku
      ? 1
      : a.location < b.location
        ? -1
        : a.location > b.location
          ? 1
          : 0
}

export type Delta = StockKey & { onHand: number; reserved: number }

/**
 * What must hold after a change: `available` (new on-hand minus reserved minus safety stock
 * stays ≥ 0: reserving, sending stock away) or `floor` (reserved stays between 0 and on-hand:
 * selling, releasing, receiving).
 */
export type Guard = 'available' | 'floor'

const guards = {
  available: sql`s.on_hand + d.d_on - s.reserved - d.d_res - s.safety_stock >= 0`,
  floor: sql`s.on_hand + d.d_on >= s.reserved + d.d_res and s.reserved + d.d_res >= 0`,
}

/** Sums deltas per (sku, location): UPDATE … FROM applies one source row per target. */
export function mergeDeltas(deltas: readonly Delta[]): Delta[] {
  const merged = new Map<string, Delta>()
  for (const d of deltas) {
    const seen = merged.get(keyOf(d))
    if (seen)
      merged.set(keyOf(d), {
        ...seen,
        onHand: seen.onHand + d.onHand,
        reserved: seen.reserved + d.reserved,
      })
    else merged.set(keyOf(d), { ...d })
  }
  return [...merged.values()]
}

/**
 * Applies signed changes to on-hand and reserved units in one statement and answers each
 * changed row before and after. The rows are first locked in (sku, location) order — the order
 * every inventory write uses — so writers touching several rows queue instead of deadlocking;
 * the guard then sits in the UPDATE's WHERE, evaluated against the locked, current row. A row
 * whose guard fails is absent from the answer: the caller decides what that means.
 */
export async function applyDeltas(
  tx: InventoryTx,
  now: Date,
  deltas: readonly Delta[],
  guard: Guard,
): Promise<LevelChange[]> {
  const merged = mergeDeltas(deltas)
  if (merged.length === 0) return []
  const result = await sql<Level & { d_on: number; d_res: number; expected: number }>`
    with d(sku, location, d_on, d_res) as (
      select * from unnest(${merged.map((d) => d.sku)}::text[],
                           ${merged.map((d) => d.location)}::text[],
                           ${merged.map((d) => d.onHand)}::bigint[],
                           ${merged.map((d) => d.reserved)}::bigint[])
    ),
    locked as materialized (
      select s.sku, s.location, (${guards[guard]}) as ok from inventory.stock_level s
      join d on d.sku = s.sku and d.location = s.location
      order by s.sku, s.location
      for update of s
    ),
    upd as (
      update inventory.stock_level s
      set on_hand = s.on_hand + d.d_on, reserved = s.reserved + d.d_res, updated_at = ${now}
      from d join locked on locked.sku = d.sku and locked.location = d.location
      where s.sku = d.sku and s.location = d.location and ${guards[guard]}
      returning s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold,
                d.d_on, d.d_res
    )
    select upd.*, e.expected from (select count(*)::int as expected from locked where ok) e
    left join upd on true`.execute(tx)
  const rows = result.rows.filter((r) => r.sku !== null)
  if (rows.length < (result.rows[0]?.expected ?? 0)) throw new RetryTransaction('stock levels: a locked row was skipped')
  return rows.map(({ d_on, d_res, expected: _expected, ...after }) => ({
    after,
    before: { ...after, on_hand: after.on_hand - d_on, reserved: after.reserved - d_res },
  }))
}

/** Current rows for the given keys, for explaining a refusal (never on the success path). */
export async function levelsOf(tx: InventoryTx, keys: readonly StockKey[]): Promise<Level[]> {
  if (keys.length === 0) return []
  const result = await sql<Level>`
    select s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold
    from inventory.stock_level s
    join unnest(${keys.map((k) => k.sku)}::text[],
                ${keys.map((k) => k.location)}::text[]) as k(sku, location)
      on k.sku = s.sku and k.location = s.location`.execute(tx)
  return result.rows
}

export type NewLedgerEntry = StockKey & {
  kind: LedgerKind
  quantity: number
  reason: string
  actor: string
  reference: string | null
}

/** Appends ledger entries in one statement, in the given order (ids increase along it). */
export async function appendLedger(
  tx: InventoryTx,
  now: Date,
  entries: readonly NewLedgerEntry[],
): Promise<LedgerEntryRow[]> {
  if (entries.length === 0) return []
  const column = <K extends keyof NewLedgerEntry>(k: K) => entries.map((e) => e[k])
  const result = await sql<LedgerEntryRow>`
    insert into inventory.ledger_entry
      (sku, location, kind, quantity, reason, actor, reference, occurred_at)
    select e.sku, e.location, e.kind, e.quantity, e.reason, e.actor, e.reference, ${now}
    from unnest(${column('sku')}::text[], ${column('location')}::text[], ${column('kind')}::text[],
                ${column('quantity')}::bigint[], ${column('reason')}::text[],
                ${column('actor')}::text[],
                ${column('reference')}::text[])
      with ordinality as e(sku, location, kind, quantity, reason, actor, reference, n)
    order by e.n
    returning *`.execute(tx)
  return result.rows.sort((a, b) => a.id - b.id)
}
