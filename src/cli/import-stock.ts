import { Sku } from '../modules/catalog/index.js'
import { parseCount, type CsvTable } from './csv-table.js'
import type { LineError, Unit } from './import-runner.js'

export const stockColumns = {
  required: ['sku', 'location', 'quantity'],
  optional: ['safety_stock', 'low_stock_threshold'],
} as const

/** One counted stock row: `quantity` is what is on the shelf now (a count, not a delta). */
export type StockRow = {
  sku: string
  location: string
  quantity: number
  safetyStock?: number
  lowStockThreshold?: number
}

const columnOf: Record<string, string> = {
  safetyStock: 'safety_stock',
  lowStockThreshold: 'low_stock_threshold',
}

/**
 * Turns a stock CSV into one unit per row. A (sku, location) given twice is refused at its
 * second line: two counts of one shelf in one file are a mistake, not an instruction.
 */
export function planStock(table: CsvTable): { units: Unit<StockRow>[]; errors: LineError[] } {
  const errors: LineError[] = [...table.errors]
  const units: Unit<StockRow>[] = []
  const seen = new Map<string, number>()
  for (const row of table.rows) {
    const before = errors.length
    const fail = (column: string, message: string) =>
      errors.push({ line: row.line, column, message })
    const sku = row.get('sku')
    const location = row.get('location')
    if (!sku) fail('sku', 'is required')
    else if (!Sku.safeParse(sku).success)
      fail('sku', `${sku}: ${Sku.safeParse(sku).error?.issues[0]?.message}`)
    if (!location) fail('location', 'is required')
    else if (location.length > 40) fail('location', 'must be 40 characters at most')
    const counts: Partial<Record<'quantity' | 'safetyStock' | 'lowStockThreshold', number>> = {}
    for (const [field, column] of [
      ['quantity', 'quantity'],
      ['safetyStock', 'safety_stock'],
      ['lowStockThreshold', 'low_stock_threshold'],
    ] as const) {
      if (!row.has(column)) {
        if (field === 'quantity') fail(column, 'is required (the units counted, 0 or more)')
        continue
      }
      const parsed = parseCount(row.get(column))
      if (typeof parsed === 'string') fail(column, parsed)
      else counts[field] = parsed
    }
    const key = `${sku}\u0000${location}`
    const earlier = seen.get(key)
    if (sku && location && earlier !== undefined)
      fail('sku', `${sku} at ${location} is already on line ${earlier}`)
    else seen.set(key, row.line)
    if (errors.length > before) continue
    units.push({
      input: {
        sku,
        location,
        quantity: counts.quantity!,
        ...(counts.safetyStock !== undefined && { safetyStock: counts.safetyStock }),
        ...(counts.lowStockThreshold !== undefined && {
          lowStockThreshold: counts.lowStockThreshold,
        }),
      },
      lines: [row.line],
      locate: (path) => ({ line: row.line, column: columnOf[path] ?? (path || undefined) }),
    })
  }
  return { units, errors }
}
