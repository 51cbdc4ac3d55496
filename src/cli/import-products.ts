import { currencies, type Currency } from '../kernel/money.js'
import { CreateProductBody } from '../modules/catalog/index.js'
import { parseCount, type CsvRow, type CsvTable } from './csv-table.js'
import type { LineError, Unit } from './import-runner.js'

export const productColumns = {
  required: ['handle', 'sku', 'price_amount', 'price_currency'],
  optional: ['title', 'description', 'categories', 'image_urls', 'barcode', 'weight_grams'],
  prefixes: ['option:', 'attribute:'],
} as const

// Columns that describe the product, not the variant: read from a handle's first row.
const productLevel = ['title', 'description', 'categories', 'image_urls'] as const

/**
 * Reads a decimal price as written on a tag (`29.90`, `1250000`) into minor units without any
 * float: the digits are joined and padded to the currency's exponent.
 */
export function parsePrice(raw: string, currency: Currency): number | string {
  const exponent = currencies[currency].exponent
  const match = /^(\d+)(?:\.(\d+))?$/.exec(raw)
  if (!match) return `must be a price such as 29.90, not ${raw}`
  const fraction = match[2] ?? ''
  if (fraction.length > exponent) {
    return exponent === 0
      ? `${currency} has no decimals`
      : `${currency} has ${exponent} decimals at most`
  }
  const amount = Number(`${match[1]}${fraction.padEnd(exponent, '0')}`)
  if (!Number.isSafeInteger(amount)) return 'is too large'
  return amount
}

const list = (raw: string) =>
  raw
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '')

// Service paths (`variants.1.price.amount`) back to CSV columns.
function columnOf(field: string): string {
  const [head, key] = field.split('.')
  if (head === 'options') return `option:${key}`
  if (head === 'attributes') return `attribute:${key}`
  if (head === 'price') return key === 'currency' ? 'price_currency' : 'price_amount'
  return (
    ({ weightGrams: 'weight_grams', images: 'image_urls' } as Record<string, string>)[head ?? ''] ??
    head ??
    ''
  )
}

type Group = { handle: string; rows: CsvRow[] }

function variantOf(row: CsvRow, columns: readonly string[], errors: LineError[]) {
  const fail = (column: string, message: string) => errors.push({ line: row.line, column, message })
  const currencyRaw = row.get('price_currency').toUpperCase()
  const currency = currencyRaw in currencies ? (currencyRaw as Currency) : undefined
  if (!currency) fail('price_currency', `must be one of ${Object.keys(currencies).join(', ')}`)
  let amount = 0
  if (!row.has('price_amount')) fail('price_amount', 'is required')
  else if (currency) {
    const parsed = parsePrice(row.get('price_amount'), currency)
    if (typeof parsed === 'string') fail('price_amount', parsed)
    else amount = parsed
  }
  let weightGrams: number | undefined
  if (row.has('weight_grams')) {
    const parsed = parseCount(row.get('weight_grams'))
    if (typeof parsed === 'string') fail('weight_grams', parsed)
    else weightGrams = parsed
  }
  const options = Object.fromEntries(
    columns
      .filter((c) => c.startsWith('option:') && row.has(c))
      .map((c) => [c.slice('option:'.length), row.get(c)]),
  )
  if (!row.has('sku')) fail('sku', 'is required')
  return {
    sku: row.get('sku'),
    ...(row.has('barcode') && { barcode: row.get('barcode') }),
    ...(Object.keys(options).length > 0 && { options }),
    ...(weightGrams !== undefined && { weightGrams }),
    price: { amount, currency: currency ?? 'EUR' },
  }
}

function productOf(group: Group, columns: readonly string[], errors: LineError[]) {
  const [first, ...rest] = group.rows as [CsvRow, ...CsvRow[]]
  // Later rows may leave product columns blank; a different value is a mistake worth naming.
  for (const row of rest) {
    for (const column of [...productLevel, ...columns.filter((c) => c.startsWith('attribute:'))]) {
      if (row.has(column) && row.get(column) !== first.get(column)) {
        errors.push({
          line: row.line,
          column,
          message: `differs from line ${first.line}, the first row of product ${group.handle}`,
        })
      }
    }
  }
  if (!first.has('title'))
    errors.push({
      line: first.line,
      column: 'title',
      message: `is required on the first row of product ${group.handle}`,
    })
  const attributes = Object.fromEntries(
    columns
      .filter((c) => c.startsWith('attribute:') && first.has(c))
      .map((c) => [c.slice('attribute:'.length), first.get(c)]),
  )
  return {
    title: first.get('title'),
    ...(first.has('description') && { description: first.get('description') }),
    ...(first.has('categories') && { categories: list(first.get('categories')) }),
    ...(first.has('image_urls') && { images: list(first.get('image_urls')) }),
    ...(Object.keys(attributes).length > 0 && { attributes }),
    variants: group.rows.map((row) => variantOf(row, columns, errors)),
  }
}

function groupByHandle(rows: readonly CsvRow[], errors: LineError[]): Group[] {
  const groups = new Map<string, Group>()
  const skus = new Map<string, number>()
  for (const row of rows) {
    const handle = row.get('handle')
    if (!handle) {
      errors.push({
        line: row.line,
        column: 'handle',
        message: 'is required (rows with the same handle form one product)',
      })
      continue
    }
    const sku = row.get('sku')
    const earlier = skus.get(sku)
    if (sku && earlier !== undefined)
      errors.push({
        line: row.line,
        column: 'sku',
        message: `${sku} is already on line ${earlier}`,
      })
    else if (sku) skus.set(sku, row.line)
    const group = groups.get(handle) ?? { handle, rows: [] }
    group.rows.push(row)
    groups.set(handle, group)
  }
  return [...groups.values()]
}

/**
 * Turns a products CSV into one unit per product (all rows sharing a handle), each checked
 * against the catalog's CreateProductBody schema so that a problem names its line and column.
 * Units with problems are still returned (the runner leaves out every unit touching a bad line).
 */
export function planProducts(table: CsvTable): {
  units: Unit<CreateProductBody>[]
  errors: LineError[]
} {
  const errors: LineError[] = [...table.errors]
  const units: Unit<CreateProductBody>[] = []
  for (const group of groupByHandle(table.rows, errors)) {
    const lines = group.rows.map((r) => r.line)
    const locate = (path: string) => {
      const variant = /^variants\.(\d+)(?:\.(.*))?$/.exec(path)
      if (variant)
        return {
          line: lines[Number(variant[1])] ?? lines[0]!,
          column: columnOf(variant[2] ?? 'sku'),
        }
      return { line: lines[0]!, column: path ? columnOf(path) : undefined }
    }
    const parsed = CreateProductBody.safeParse(productOf(group, table.columns, errors))
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const at = locate(issue.path.join('.'))
        // A field this reader already refused (a missing title) needs no second message.
        if (!errors.some((e) => e.line === at.line && e.column === at.column))
          errors.push({ ...at, message: issue.message })
      }
      continue
    }
    units.push({ input: parsed.data, lines, locate })
  }
  return { units, errors }
}
