import type { Kysely, Transaction } from 'kysely'
import { CommandFailed } from './args.js'
import { inTransaction } from '../kernel/db/index.js'
import { DomainError } from '../kernel/errors.js'
import { startProgress, type ProgressOutput } from './progress.js'

/** A problem with one place in the file. */
export type LineError = { line: number; column?: string | undefined; message: string }

/**
 * What one service call receives for one element of its batch (a product with its variants, a
 * stock row), with the file lines it came from so a problem can point at them.
 */
export type Unit<T> = {
  input: T
  /** The file line of every CSV row in this unit, in order. */
  lines: number[]
  /** Maps the rest of a service field path (`variants.1.sku`) to a line and column. */
  locate(path: string): { line: number; column?: string | undefined }
}

export type ImportPlan<T> = {
  noun: string
  /** Data rows in the file (the header excluded). */
  rowCount: number
  units: Unit<T>[]
  /** Problems found while reading the file (shape, formats, duplicates). */
  errors: LineError[]
  /** One batch through the module's service; its problems name inputs as `<index>.<path>`. */
  write(tx: Transaction<any>, inputs: T[]): Promise<void>
  /** Problems a refusal names otherwise than by path (stock `shortages`), mapped to inputs. */
  blame?(err: DomainError, inputs: T[]): { index: number; path: string; message: string }[]
}

export type ImportOptions = {
  skipInvalid: boolean
  dryRun: boolean
  /** CSV rows per transaction (a unit is never split). */
  batchRows: number
  out?: ProgressOutput
}

/** `imported` units (products, stock rows) made of `rows` CSV rows; `skippedRows` were left out. */
export type ImportResult = {
  imported: number
  rows: number
  skippedRows: number
  errors: LineError[]
}

/** The file was refused: nothing written (or, with --skip-invalid, the failure happened mid-way). */
export class ImportRejected extends CommandFailed {
  override readonly name = 'ImportRejected'
}

class Rollback extends Error {}

export function batchesOf<T>(units: readonly Unit<T>[], batchRows: number): Unit<T>[][] {
  const batches: Unit<T>[][] = []
  let current: Unit<T>[] = []
  let rows = 0
  for (const unit of units) {
    if (current.length > 0 && rows + unit.lines.length > batchRows) {
      batches.push(current)
      current = []
      rows = 0
    }
    current.push(unit)
    rows += unit.lines.length
  }
  if (current.length > 0) batches.push(current)
  return batches
}

// `3.variants.1.sku` → input 3, path `variants.1.sku`.
function splitPath(path: string): { index: number; rest: string } | null {
  const match = /^(\d+)(?:\.(.*))?$/.exec(path)
  return match ? { index: Number(match[1]), rest: match[2] ?? '' } : null
}

/**
 * Runs one batch in one transaction. When the service refuses some inputs by field path, those
 * inputs are set aside with their problems and the batch runs again without them (a refusal
 * aborted the transaction, so nothing of the batch stayed). `commit: false` rolls back even a
 * batch that succeeds: the checking pass.
 */
async function runBatch<T>(
  db: Kysely<any>,
  plan: ImportPlan<T>,
  batch: Unit<T>[],
  commit: boolean,
): Promise<{ written: Unit<T>[]; refused: Unit<T>[]; errors: LineError[] }> {
  let pending = batch
  const refused: Unit<T>[] = []
  const errors: LineError[] = []
  while (pending.length > 0) {
    try {
      await inTransaction(db, async (tx) => {
        await plan.write(
          tx,
          pending.map((u) => u.input),
        )
        if (!commit) throw new Rollback()
      })
      return { written: pending, refused, errors }
    } catch (err) {
      if (err instanceof Rollback) return { written: pending, refused, errors }
      const located = err instanceof DomainError ? blame(plan, err, pending) : []
      // A refusal that names no input cannot be narrowed down to rows: it is the whole batch's.
      if (located.length === 0) throw err
      const bad = new Set(located.map((l) => l.unit))
      errors.push(...located.map((l) => l.error))
      refused.push(...bad)
      pending = pending.filter((u) => !bad.has(u))
    }
  }
  return { written: [], refused, errors }
}

function blame<T>(plan: ImportPlan<T>, err: DomainError, pending: Unit<T>[]) {
  const byPath = (
    (err.members as { errors?: { path: string; message: string }[] }).errors ?? []
  ).flatMap((e) => {
    const at = splitPath(e.path)
    return at ? [{ index: at.index, path: at.rest, message: e.message }] : []
  })
  const more =
    plan.blame?.(
      err,
      pending.map((u) => u.input),
    ) ?? []
  return [...byPath, ...more].flatMap(({ index, path, message }) => {
    const unit = pending[index]
    return unit ? [{ unit, error: { ...unit.locate(path), message } }] : []
  })
}

function rowsOf<T>(units: readonly Unit<T>[]): number {
  return units.reduce((n, u) => n + u.lines.length, 0)
}

export function formatErrors(errors: readonly LineError[], limit = 100): string {
  const sorted = [...errors].sort((a, b) => a.line - b.line)
  const shown = sorted
    .slice(0, limit)
    .map((e) => `  line ${e.line}${e.column ? ` (${e.column})` : ''}: ${e.message}`)
  if (sorted.length > limit) shown.push(`  … and ${sorted.length - limit} more`)
  return shown.join('\n')
}

/**
 * Imports a planned file. Without `skipInvalid`, nothing is written unless every row is valid:
 * a checking pass first runs every batch through the service in a transaction that is rolled
 * back, so the database's own rules (existing SKUs, unknown locations) are checked exactly as
 * the import would meet them. Then each batch commits in its own transaction. With
 * `skipInvalid`, refused units are left out and the rest is written. A unit is all the rows of
 * one product, so a product is never imported with some of its variants missing.
 */
export async function importRows<T>(
  db: Kysely<any>,
  plan: ImportPlan<T>,
  options: ImportOptions,
): Promise<ImportResult> {
  const errors = [...plan.errors]
  const badLines = new Set(errors.map((e) => e.line))
  let units = plan.units.filter((u) => !u.lines.some((line) => badLines.has(line)))

  // The check runs even when some rows are already known bad, so one run lists every problem.
  if (!options.skipInvalid || options.dryRun) {
    const progress = startProgress({
      label: 'checking',
      total: rowsOf(units),
      ...(options.out && { out: options.out }),
    })
    const accepted: Unit<T>[] = []
    for (const batch of batchesOf(units, options.batchRows)) {
      let result
      try {
        result = await runBatch(db, plan, batch, false)
      } catch (err) {
        progress.finish()
        throw new ImportRejected(
          `Nothing was imported: ${linesOf(batch)} were refused: ${(err as Error).message}`,
        )
      }
      accepted.push(...result.written)
      errors.push(...result.errors)
      progress.advance(rowsOf(batch))
    }
    progress.finish()
    if (errors.length > 0 && !options.skipInvalid) throw rejected(plan.noun, errors)
    units = accepted
  }
  if (options.dryRun)
    return { imported: 0, rows: rowsOf(units), skippedRows: plan.rowCount - rowsOf(units), errors }

  const progress = startProgress({
    label: 'importing',
    total: rowsOf(units),
    ...(options.out && { out: options.out }),
  })
  let imported = 0
  let rows = 0
  for (const batch of batchesOf(units, options.batchRows)) {
    let result
    try {
      result = await runBatch(db, plan, batch, true)
    } catch (err) {
      progress.finish()
      throw new ImportRejected(
        `The import stopped at ${linesOf(batch)}: ${(err as Error).message}\n` +
          `${imported} ${plan.noun} (${rows} rows) before those lines were imported and stay.`,
      )
    }
    if (result.refused.length > 0 && !options.skipInvalid) {
      // Something changed between the check and the write (another writer took a SKU).
      progress.finish()
      throw new ImportRejected(
        `The database changed during the import; these rows were refused:\n${formatErrors(result.errors)}\n` +
          `${imported} ${plan.noun} (${rows} rows) before them were imported and stay.`,
      )
    }
    errors.push(...result.errors)
    imported += result.written.length
    rows += rowsOf(result.written)
    progress.advance(rowsOf(batch))
  }
  progress.finish()
  return { imported, rows, skippedRows: plan.rowCount - rows, errors }
}

function linesOf<T>(batch: readonly Unit<T>[]): string {
  const lines = batch.flatMap((u) => u.lines)
  return `lines ${Math.min(...lines)}–${Math.max(...lines)}`
}

function rejected(noun: string, errors: readonly LineError[]): ImportRejected {
  const count = new Set(errors.map((e) => e.line)).size
  return new ImportRejected(
    `Nothing was imported: ${count} row(s) have problems.\n${formatErrors(errors)}\n` +
      `Fix them and import again, or pass --skip-invalid to import the valid ${noun} and skip the rest.`,
  )
}
