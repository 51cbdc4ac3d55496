import { stat } from 'node:fs/promises'
import { CsvSyntaxError, readCsvFile, type CsvRecord } from './csv.js'
import { ImportRejected, type LineError } from './import-runner.js'

/** A data row by column name (names are the header's, trimmed and lower-cased). */
export type CsvRow = {
  line: number
  /** The trimmed value, `''` when the column is absent or empty. */
  get(column: string): string
  has(column: string): boolean
}

export type CsvTable = {
  columns: string[]
  rows: CsvRow[]
  /** Rows whose field count does not match the header. */
  errors: LineError[]
}

export type Columns = {
  required: readonly string[]
  optional: readonly string[]
  /** Families of columns such as `option:size`: the prefix, then a name. */
  prefixes?: readonly string[]
}

function checkHeader(columns: readonly string[], spec: Columns): LineError[] {
  const errors: LineError[] = []
  const known = new Set([...spec.required, ...spec.optional])
  const seen = new Set<string>()
  for (const column of columns) {
    if (seen.has(column)) errors.push({ line: 1, column, message: 'the column is given twice' })
    seen.add(column)
    const prefix = spec.prefixes?.find((p) => column.startsWith(p))
    if (prefix && column.length > prefix.length) continue
    if (!known.has(column)) {
      const expected = [
        ...spec.required,
        ...spec.optional,
        ...(spec.prefixes ?? []).map((p) => `${p}<name>`),
      ]
      errors.push({ line: 1, column, message: `unknown column; expected ${expected.join(', ')}` })
    }
  }
  for (const column of spec.required) {
    if (!seen.has(column)) errors.push({ line: 1, column, message: 'a required column is missing' })
  }
  return errors
}

function rowOf(index: ReadonlyMap<string, number>, record: CsvRecord): CsvRow {
  const value = (column: string) => {
    const i = index.get(column)
    return i === undefined ? '' : (record.fields[i] ?? '').trim()
  }
  return { line: record.line, get: value, has: (column) => value(column) !== '' }
}

/**
 * Reads a whole CSV file whose first record is the header. A file that cannot be read, is not
 * CSV, or whose header is wrong is refused at once (ImportRejected); rows with the wrong number
 * of fields are reported as row problems.
 */
export async function readCsvTable(path: string, spec: Columns): Promise<CsvTable> {
  try {
    if (!(await stat(path)).isFile()) throw new ImportRejected(`${path} is not a file`)
  } catch (err) {
    if (err instanceof ImportRejected) throw err
    throw new ImportRejected(
      `Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
  let header: string[] | undefined
  let index = new Map<string, number>()
  const rows: CsvRow[] = []
  const errors: LineError[] = []
  try {
    for await (const record of readCsvFile(path)) {
      if (!header) {
        header = record.fields.map((f) => f.trim().toLowerCase())
        const problems = checkHeader(header, spec)
        if (problems.length > 0) {
          throw new ImportRejected(
            `The header of ${path} is not right:\n${problems.map((p) => `  ${p.column}: ${p.message}`).join('\n')}`,
          )
        }
        index = new Map(header.map((name, i) => [name, i]))
        continue
      }
      if (record.fields.length !== header.length) {
        errors.push({
          line: record.line,
          message: `${record.fields.length} fields, but the header has ${header.length}`,
        })
        continue
      }
      rows.push(rowOf(index, record))
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      throw new ImportRejected(`${path} is not valid CSV at ${err.message}`)
    throw err
  }
  if (!header)
    throw new ImportRejected(`${path} is empty: it needs a header line naming the columns`)
  return { columns: header, rows, errors }
}

/** A whole number within bounds, or an error message. */
export function parseCount(raw: string, min = 0): number | string {
  if (!/^-?\d+$/.test(raw)) return `must be a whole number, not ${raw}`
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < min || n > 1_000_000_000)
    return `must be between ${min} and 1000000000`
  return n
}
