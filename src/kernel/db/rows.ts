import { sql, type RawBuilder } from 'kysely'

// A request's rows (an order's lines, a visitor's identities) are fewer than this.
const mostWrittenOut = 8

/** A column of `rowsOf`: its name and the SQL type its values are cast to. */
export type RowColumn = readonly [name: string, type: string]

/**
 * Rows handed to a statement as the relation `alias(columns…)`, for a FROM or a join. A few rows
 * are written out as VALUES: the statement text then says how many, so PostgreSQL costs its
 * generic plan like a custom one and keeps it. Given arrays of unknown length instead, it
 * expects ten rows, finds every custom plan cheaper and plans each call anew, which for an
 * order's stock or price statement cost more than running it. More rows (imports, batches of
 * events, which plan for their parameters anyway: see `planForBatch`) go as one array per
 * column, so the text stays the same whatever their number. With `ordinality`, a last column
 * of that name numbers the rows from 1.
 */
export function rowsOf(
  alias: string,
  columns: readonly RowColumn[],
  rows: readonly (readonly unknown[])[],
  ordinality?: string,
): RawBuilder<unknown> {
  const names = [...columns.map(([name]) => name), ...(ordinality ? [ordinality] : [])]
  const relation = sql.raw(`${alias}(${names.join(', ')})`)
  if (rows.length === 0 || rows.length > mostWrittenOut) {
    const arrays = columns.map(([, type], i) => sql`${rows.map((r) => r[i])}::${sql.raw(type)}[]`)
    const numbered = ordinality ? sql` with ordinality` : sql``
    return sql`unnest(${sql.join(arrays)})${numbered} as ${relation}`
  }
  const values = rows.map((row, n) => {
    const cells = columns.map(([, type], i) => sql`${row[i]}::${sql.raw(type)}`)
    if (ordinality) cells.push(sql`${n + 1}::bigint`)
    return sql`(${sql.join(cells)})`
  })
  return sql`(values ${sql.join(values)}) as ${relation}`
}
