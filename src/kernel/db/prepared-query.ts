import pg from 'pg'

type Field = { name: string; dataTypeID: number; format: string }
type Parser = (value: unknown) => unknown

/** A prepared statement's result columns, as its first execution described them. */
export type Described = {
  fields: Field[]
  parsers: Parser[]
  emptyRow: Record<string, null>
}

type ResultInternals = pg.QueryResult & {
  _parsers: Parser[] | undefined
  _prebuiltEmptyResultObject: Record<string, null> | null
  parseRow(values: unknown[]): Record<string, unknown>
}

type Connection = {
  parsedStatements: Record<string, string>
  submittedNamedStatements: Record<string, string>
  parse(m: { text: string; name: string }): void
  bind(m: object): void
  describe(m: { type: 'P'; name: string }): void
  execute(m: { portal: string }): void
  sync(): void
}

// node-postgres's own members of a Query, which its type declarations leave out.
type QueryInternals = {
  text: string
  name: string
  values: unknown[]
  portal: string
  callback: (err: Error | null, result?: unknown) => void
  _result: ResultInternals
  _results: ResultInternals
  _canceledDueToError: Error | false
  _accumulateRows: boolean
  handleError(err: Error, connection: Connection): void
}

const { prepareValue } = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils

/**
 * A node-postgres query for a statement prepared under `name`, made without the general
 * `Query`'s work per call that a prepared statement does not need: copying its configuration
 * object, and asking PostgreSQL to describe the result columns again each time (a Describe
 * message and a RowDescription answer, from which node-postgres rebuilt its parsers). The
 * columns are described on the first execution in a session and kept in `described`:
 * PostgreSQL refuses to change a prepared statement's result columns, so they hold for the
 * session. It is still a `Query` (node-postgres's pipeline mode accepts nothing else) and keeps
 * its error handling.
 */
export function preparedQuery(
  described: Map<string, Described>,
  name: string,
  text: string,
  values: unknown[],
): { query: pg.Query; answer: Promise<pg.QueryResult> } {
  const query = Object.create(PreparedQuery.prototype) as PreparedQuery
  const noRowMode = undefined as never
  const result = new pg.Result(noRowMode, noRowMode) as unknown as ResultInternals
  query.text = text
  query.name = name
  query.values = values
  query.portal = ''
  query._result = result
  query._results = result
  query._canceledDueToError = false
  query._accumulateRows = true
  query.described = described
  const answer = new Promise<pg.QueryResult>((resolve, reject) => {
    query.callback = (err, res) => (err ? reject(err) : resolve(res as pg.QueryResult))
  })
  return { query, answer }
}

const base = pg.Query.prototype as unknown as {
  handleRowDescription(msg: { fields: Field[] }): void
  handleCommandComplete(msg: unknown, connection: Connection): void
}

interface PreparedQuery extends QueryInternals {}

class PreparedQuery extends pg.Query {
  declare described: Map<string, Described>

  handleRowDescription(msg: { fields: Field[] }) {
    base.handleRowDescription.call(this, msg)
    this._accumulateRows = true
    this.described.set(this.name, {
      fields: msg.fields,
      parsers: this._result._parsers ?? [],
      emptyRow: this._result._prebuiltEmptyResultObject ?? {},
    })
  }

  handleDataRow(msg: { fields: unknown[] }) {
    if (this._canceledDueToError) return
    try {
      this._result.rows.push(this._result.parseRow(msg.fields))
    } catch (err) {
      this._canceledDueToError = err as Error
    }
  }

  // Completed without a RowDescription before it: a statement without result columns.
  handleCommandComplete(msg: unknown, connection: Connection) {
    base.handleCommandComplete.call(this, msg, connection)
    if (!this.described.has(this.name))
      this.described.set(this.name, { fields: [], parsers: [], emptyRow: {} })
  }

  prepare(connection: Connection) {
    const { name, text, values } = this
    // Decided when written, not when made: a query queued behind another of the same statement
    // finds it described by then.
    const known = this.described.get(name)
    if (known) {
      this._result.fields = known.fields as unknown as pg.FieldDef[]
      this._result._parsers = known.parsers
      this._result._prebuiltEmptyResultObject = known.emptyRow
    }
    if (
      connection.parsedStatements[name] === undefined &&
      connection.submittedNamedStatements[name] === undefined
    ) {
      connection.parse({ text, name })
      connection.submittedNamedStatements[name] = text
    }
    try {
      connection.bind({ portal: '', statement: name, values, valueMapper: prepareValue })
    } catch (err) {
      // A value that cannot be sent (node-postgres's own Query also closes the statement here,
      // yet still counts it as parsed, so every later execution in the session would fail):
      // the statement stays prepared for the next call.
      connection.sync()
      this.handleError(err as Error, connection)
      return
    }
    if (!known) connection.describe({ type: 'P', name: '' })
    connection.execute({ portal: '' })
    connection.sync()
  }
}
