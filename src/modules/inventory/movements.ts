import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, RetryTransaction, type Tx } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import type { InventoryTables, LedgerEntryRow } from './db.js'
import { crossingEvents } from './events.js'
import { assertKnown } from './references.js'
import type { MovementInput } from './schema.js'
import {
  appendLedger,
  ensureLevels,
  insufficientStock,
  keyOf,
  levelsOf,
  type Level,
  type LevelChange,
  type StockKey,
} from './stock.js'

type InventoryTx = Tx<InventoryTables>

export type MovementsResult = { entries: LedgerEntryRow[]; changes: LevelChange[] }

/**
 * The net effect of one key's movements, in order. Before the first count the result depends on
 * the stored on-hand (`delta`); from the first count on it is known (`final`). `minPrefix` and
 * `minAfter` are the lowest on-hand reached in each part: the guard needs them ≥ reserved.
 */
type Fold = StockKey & {
  hasCount: boolean
  delta: number
  final: number
  minPrefix: number
  minAfter: number
}

function foldMovements(inputs: readonly MovementInput[]): Fold[] {
  const folds = new Map<string, Fold>()
  for (const m of inputs) {
    const f = folds.get(keyOf(m)) ?? {
      sku: m.sku,
      location: m.location,
      hasCount: false,
      delta: 0,
      final: 0,
      minPrefix: 0,
      minAfter: Number.MAX_SAFE_INTEGER,
    }
    if (m.kind === 'count') {
      f.hasCount = true
      f.final = m.quantity
      f.minAfter = Math.min(f.minAfter, m.quantity)
    } else if (f.hasCount) {
      f.final += m.quantity
      f.minAfter = Math.min(f.minAfter, f.final)
    } else {
      f.delta += m.quantity
      f.minPrefix = Math.min(f.minPrefix, f.delta)
    }
    folds.set(keyOf(m), f)
  }
  return [...folds.values()]
}

async function refusal(tx: InventoryTx, failed: readonly Fold[]) {
  const byKey = new Map(failed.map((f) => [keyOf(f), f]))
  const shortages = (await levelsOf(tx, failed)).map((l) => {
    const f = byKey.get(keyOf(l))!
    const lowest = Math.min(l.on_hand + f.minPrefix, f.minAfter)
    return {
      sku: l.sku,
      location: l.location,
      requested: l.on_hand - lowest,
      available: l.on_hand - l.reserved,
    }
  })
  return insufficientStock(
    shortages,
    'On-hand stock cannot fall below what is reserved: ' +
      shortages
        .map(
          (s) =>
            `${s.sku} at ${s.location}: ${s.requested} to take out, ${s.available} not reserved`,
        )
        .join('; '),
  )
}

/**
 * Records receipts, returns, adjustments and counts, set-based: a few statements whatever the
 * number of movements (CSV imports send thousands). Movements apply in the given order; a
 * `count` sets on-hand to the counted units and its ledger entry records the difference.
 * Every movement gets one ledger entry, so on-hand stays the sum of the ledger.
 *
 * The rows are locked in (sku, location) order and the old on-hand is read by the same
 * statement that writes the new one, whose WHERE requires every intermediate on-hand to stay
 * ≥ reserved (hence ≥ 0): a concurrent reservation either lands before and is respected, or
 * waits. All or nothing: unknown SKUs or locations are `validation-failed` at `path(i, field)`;
 * taking out more than is unreserved is `insufficient-stock` with `shortages`. Appends
 * low / out-of-stock / back-in-stock crossings.
 */
export async function recordMovements(
  tx: InventoryTx,
  clock: Clock,
  actor: string,
  inputs: readonly MovementInput[],
  path: (index: number, field: 'sku' | 'location') => string = (i, field) => `${i}.${field}`,
): Promise<MovementsResult> {
  if (inputs.length === 0) return { entries: [], changes: [] }
  await assertKnown(
    tx,
    inputs.map((m, i) => ({ sku: m.sku, path: path(i, 'sku') })),
    inputs.map((m, i) => ({ code: m.location, path: path(i, 'location') })),
  )
  const now = clock.now()
  const folds = foldMovements(inputs)
  await ensureLevels(tx, now, folds)
  const column = <K extends keyof Fold>(k: K) => folds.map((f) => f[k])
  const result = await sql<Level & { old_on_hand: number; expected: number }>`
    with m(sku, location, has_count, delta, final_on_hand, min_prefix, min_after) as (
      select * from unnest(${column('sku')}::text[], ${column('location')}::text[],
                           ${column('hasCount')}::boolean[], ${column('delta')}::bigint[],
                           ${column('final')}::bigint[], ${column('minPrefix')}::bigint[],
                           ${column('minAfter')}::bigint[])
    ),
    prior as materialized (
      select s.sku, s.location, s.on_hand,
             (s.on_hand + m.min_prefix >= s.reserved and m.min_after >= s.reserved) as ok
      from inventory.stock_level s
      join m on m.sku = s.sku and m.location = s.location
      order by s.sku, s.location
      for update of s
    ),
    upd as (
      update inventory.stock_level s
      set on_hand = case when m.has_count then m.final_on_hand else s.on_hand + m.delta end,
          updated_at = ${now}
      from m join prior on prior.sku = m.sku and prior.location = m.location
      where s.sku = m.sku and s.location = m.location
        and s.on_hand + m.min_prefix >= s.reserved
        and m.min_after >= s.reserved
      returning s.sku, s.location, s.on_hand, s.reserved, s.safety_stock, s.low_stock_threshold,
                prior.on_hand as old_on_hand
    )
    select upd.*, e.expected from (select count(*)::int as expected from prior where ok) e
    left join upd on true`.execute(tx)
  const updated = result.rows.filter((r) => r.sku !== null).map(({ expected: _expected, ...row }) => row)
  if (updated.length < (result.rows[0]?.expected ?? 0)) throw new RetryTransaction('movements: a locked row was skipped')
  if (updated.length < folds.length) {
    const done = new Set(updated.map(keyOf))
    throw await refusal(
      tx,
      folds.filter((f) => !done.has(keyOf(f))),
    )
  }
  const running = new Map(updated.map((r) => [keyOf(r), r.old_on_hand]))
  const entries = await appendLedger(
    tx,
    now,
    inputs.map((m) => {
      const before = running.get(keyOf(m))!
      const quantity = m.kind === 'count' ? m.quantity - before : m.quantity
      running.set(keyOf(m), before + quantity)
      return {
        sku: m.sku,
        location: m.location,
        kind: m.kind,
        quantity,
        reason: m.reason,
        actor,
        reference: m.reference ?? null,
      }
    }),
  )
  const changes = updated.map(({ old_on_hand, ...after }) => ({
    after,
    before: { ...after, on_hand: old_on_hand },
  }))
  await appendEvents(crossModule(tx), clock, crossingEvents(changes, null))
  return { entries, changes }
}

/** One movement (see `recordMovements`); unknown references are reported at `sku` / `location`. */
export async function recordMovement(
  tx: InventoryTx,
  clock: Clock,
  actor: string,
  input: MovementInput,
) {
  const { entries, changes } = await recordMovements(
    tx,
    clock,
    actor,
    [input],
    (_i, field) => field,
  )
  return { entries, change: changes[0]! }
}
