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
  close(m: object): void
}

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
  handleRowDescription(msg: { fields: Field[] }): void
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
  const query = Object.create(PreparedQuery.prototype) as PreparedQuery & QueryInternals
  const noRowMode = undefined as never
  const result = new pg.Result(noRowMode, noRowMode) as unknown as ResultInternals
  const known = described.get(name)
  if (known) {
    result.fields = known.fields as unknown as pg.FieldDef[]
    result._parsers = known.parsers
    result._prebuiltEmptyResultObject = known.emptyRow
  }
  query.text = text
  query.name = name
  query.values = values
  query.portal = ''
  query._result = result
  query._results = result
  query._canceledDueToError = false
  query._accumulateRows = true
  query.described = described
  query.known = known !== undefined
  const answer = new Promise<pg.QueryResult>((resolve, reject) => {
    query.callback = (err, res) => (err ? reject(err) : resolve(res as pg.QueryResult))
  })
  return { query, answer }
}

class PreparedQuery extends pg.Query {
  declare described: Map<string, Described>
  declare known: boolean

  handleRowDescription(msg: { fields: Field[] }) {
    const self = this as unknown as QueryInternals
    ;(pg.Query.prototype as unknown as QueryInternals).handleRowDescription.call(this, msg)
    self._accumulateRows = true
    this.described.set(self.name, {
      fields: msg.fields,
      parsers: self._result._parsers ?? [],
      emptyRow: self._result._prebuiltEmptyResultObject ?? {},
    })
  }

  handleDataRow(msg: { fields: unknown[] }) {
    const self = this as unknown as QueryInternals
    if (self._canceledDueToError) return
    try {
      self._result.rows.push(self._result.parseRow(msg.fields))
    } catch (err) {
      self._canceledDueToError = err as Error
    }
  }

  // Statements without result columns get no RowDescription: described as such once answered.
  handleReadyForQuery(connection: Connection) {
    const self = this as unknown as QueryInternals
    if (self._canceledDueToError) return self.handleError(self._canceledDueToError, connection)
    if (!this.known && !this.described.has(self.name) && self._result.fields.length === 0)
      this.described.set(self.name, { fields: [], parsers: [], emptyRow: {} })
    self.callback(null, self._results)
  }

  prepare(connection: Connection) {
    const self = this as unknown as QueryInternals
    if (
      connection.parsedStatements[self.name] === undefined &&
      connection.submittedNamedStatements[self.name] === undefined
    ) {
      connection.parse({ text: self.text, name: self.name })
      connection.submittedNamedStatements[self.name] = self.text
    }
    try {
      const { name: statement, values } = self
      connection.bind({ portal: '', statement, values, valueMapper: prepareValue })
    } catch (err) {
      connection.close({ type: 'S', name: self.name })
      connection.sync()
      self.handleError(err as Error, connection)
      return
    }
    if (!this.known) connection.describe({ type: 'P', name: '' })
    connection.execute({ portal: '' })
    connection.sync()
  }
}
