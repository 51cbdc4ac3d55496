import { basename } from 'node:path'
import type { Transaction } from 'kysely'
import type { Config } from '../config.js'
import { actorOf } from '../kernel/auth/index.js'
import { systemClock } from '../kernel/clock.js'
import { crossModule } from '../kernel/db/index.js'
import { createProducts, type CreateProductBody } from '../modules/catalog/index.js'
import { recordMovements, setStockSettings } from '../modules/inventory/index.js'
import { parseCommand, positiveInteger, UsageError } from './args.js'
import { readCsvTable } from './csv-table.js'
import { describeDatabase, withDatabase } from './database.js'
import { ensureCategories } from './categories.js'
import { formatErrors, importRows, type ImportPlan, type ImportResult } from './import-runner.js'
import { planProducts, productColumns } from './import-products.js'
import { planStock, stockColumns, type StockRow } from './import-stock.js'
import { operator } from './operator.js'

const common = `Options:
  --skip-invalid     import the valid rows and list the refused ones (default: refuse the
                     whole file, writing nothing, when any row has a problem)
  --dry-run          check every row against the database, write nothing
  --batch-size N     CSV rows per transaction (default 1000)
  --help`

export const productsUsage = `Usage: omnia import products <file.csv> [options]

Creates products, their variants and base prices. Rows sharing a handle are one product; its
product columns are read from its first row (later rows may leave them blank).

Columns (header names, any order; * required):
  handle*           groups the rows of one product (any text, e.g. linen-shirt)
  title             product title (* on the first row of each handle)
  description       product description
  categories        category codes separated by ; (missing categories are created)
  image_urls        http(s) image URLs separated by ;
  attribute:<name>  a product fact, e.g. attribute:material
  sku*              the variant's SKU (letters, digits, . _ -), unique in the catalog
  barcode           EAN/UPC/GTIN
  option:<name>     what tells variants apart, e.g. option:size, option:colour
  price_amount*     the price as written on a tag: 29.90 (EUR), 1250000 (IRR)
  price_currency*   ISO 4217 code: EUR, USD, IRR, …
  weight_grams      whole grams

A SKU that already exists is refused (the import creates, it does not update).

${common}`

export const stockUsage = `Usage: omnia import stock <file.csv> [options]

Sets counted stock per SKU and location. Each row is a count: on-hand becomes the quantity,
and the ledger records the difference (so the ledger still sums to on-hand).

Columns (header names, any order; * required):
  sku*                  an existing SKU
  location*             an existing location code
  quantity*             units counted, 0 or more
  safety_stock          units held back from sale (left unchanged when blank)
  low_stock_threshold   available units at or below which stock counts as low

${common}`

export const importUsage = `Usage:
  omnia import products <file.csv> [--skip-invalid] [--dry-run] [--batch-size N]
  omnia import stock <file.csv> [--skip-invalid] [--dry-run] [--batch-size N]

Run omnia import products --help or omnia import stock --help for the columns.`

const options = {
  'skip-invalid': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'batch-size': { type: 'string' },
} as const

function productsPlan(
  table: Awaited<ReturnType<typeof readCsvTable>>,
): ImportPlan<CreateProductBody> {
  const clock = systemClock
  return {
    noun: 'products',
    rowCount: table.rows.length + table.errors.length,
    ...planProducts(table),
    async write(tx: Transaction<any>, inputs: CreateProductBody[]) {
      await ensureCategories(
        tx,
        clock,
        inputs.flatMap((p) => p.categories ?? []),
      )
      await createProducts(crossModule(tx), clock, inputs)
    },
  }
}

function stockPlan(
  table: Awaited<ReturnType<typeof readCsvTable>>,
  file: string,
): ImportPlan<StockRow> {
  const clock = systemClock
  const reason = `stock import from ${basename(file)}`
  return {
    noun: 'stock rows',
    rowCount: table.rows.length + table.errors.length,
    ...planStock(table),
    async write(tx: Transaction<any>, inputs: StockRow[]) {
      const actor = actorOf(operator())
      const counts = inputs.map((r) => ({
        sku: r.sku,
        location: r.location,
        kind: 'count' as const,
        quantity: r.quantity,
        reason,
      }))
      await recordMovements(crossModule(tx), clock, actor, counts)
      // Only rows that name a setting change one; a problem keeps its row's index in the batch.
      const indexes = inputs.flatMap((r, i) =>
        r.safetyStock !== undefined || r.lowStockThreshold !== undefined ? [i] : [],
      )
      await setStockSettings(
        crossModule(tx),
        clock,
        indexes.map((i) => {
          const { sku, location, safetyStock, lowStockThreshold } = inputs[i]!
          return { sku, location, safetyStock, lowStockThreshold }
        }),
        (k, field) => `${indexes[k]}.${field}`,
      )
    },
    // A count below what is reserved is refused with the shelves it concerns.
    blame(err, inputs) {
      const shortages =
        (err.members as { shortages?: { sku: string; location?: string }[] }).shortages ?? []
      return shortages.flatMap((s) => {
        const index = inputs.findIndex((r) => r.sku === s.sku && r.location === s.location)
        return index < 0
          ? []
          : [
              {
                index,
                path: 'quantity',
                message: `${s.sku} at ${s.location} has more units reserved than that`,
              },
            ]
      })
    },
  }
}

function summary(
  kind: string,
  file: string,
  config: Config,
  result: ImportResult,
  dryRun: boolean,
): string {
  const what =
    kind === 'products'
      ? `${result.imported} products (${result.rows} variant rows)`
      : `${result.imported} stock rows`
  const head = dryRun
    ? `Checked ${file}: ${result.rows} rows would be imported into ${describeDatabase(config)}.`
    : `Imported ${what} from ${file} into ${describeDatabase(config)}.`
  if (result.errors.length === 0) return `${head}\n`
  return `${head}\nSkipped ${result.skippedRows} row(s):\n${formatErrors(result.errors)}\n`
}

/** `omnia import products|stock <file.csv>`. */
export async function runImport(config: Config, args: string[]): Promise<void> {
  const [kind, ...rest] = args
  if (kind === '--help' || kind === '-h' || kind === 'help') {
    process.stdout.write(`${importUsage}\n`)
    return
  }
  if (kind !== 'products' && kind !== 'stock') {
    throw new UsageError(
      kind ? `unknown import ${kind}` : 'say what to import: products or stock',
      importUsage,
    )
  }
  const usage = kind === 'products' ? productsUsage : stockUsage
  const parsed = parseCommand(rest, usage, options, { min: 1, max: 1 })
  if (!parsed) return
  const file = parsed.positionals[0]!
  const settings = {
    skipInvalid: parsed.values['skip-invalid'] === true,
    dryRun: parsed.values['dry-run'] === true,
    batchRows: positiveInteger(parsed.values['batch-size'], 'batch-size', 1000, usage),
  }
  const table = await readCsvTable(file, kind === 'products' ? productColumns : stockColumns)
  process.stderr.write(`Read ${table.rows.length + table.errors.length} rows from ${file}.\n`)
  const result = await withDatabase(config, ({ db }) =>
    kind === 'products'
      ? importRows(db, productsPlan(table), settings)
      : importRows(db, stockPlan(table, file), settings),
  )
  process.stdout.write(summary(kind, file, config, result, settings.dryRun))
}
