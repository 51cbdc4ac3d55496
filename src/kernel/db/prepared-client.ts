import { createHash } from 'node:crypto'
import pg from 'pg'
import { preparedQuery, type Described } from './prepared-query.js'
import { pipelineMarker, type Pipelined } from './together.js'

// Statements without parameters are transaction control, DDL or text with literals inlined,
// rarely repeated; long texts are bulk statements (an import's multi-row insert), a new text
// for each row count. Preparing either would only fill the session with plans used once.
const longestPrepared = 8_000
// A session keeps every statement it prepared; past this many, new texts run unprepared.
const mostPrepared = 2_000

/**
 * Ends the last statement of a transaction whose COMMIT follows at once (see `inTransaction`):
 * the client then writes the COMMIT behind it, in the same round trip.
 */
export const commitFollows = '\n-- commit follows'

// The embedded engine's connection has no socket to cork: it holds each statement's messages
// until their Sync by itself (see PgliteConnection), and the two queries go as two calls.
type Corkable = { cork?(): void; uncork?(): void }

type Result = { command: string; rowCount: number | null; rows: unknown[]; fields: unknown[] }
type Answer = Promise<Result>

const answered = (command: string): Promise<Result> =>
  Promise.resolve({ command, rowCount: null, rows: [], fields: [] })

/**
 * A node-postgres client that prepares each parameterised statement once per session, under a
 * name derived from its text, and afterwards only binds and executes it. The same few dozen
 * statements make up every hot path (an order placement is five or six of them), and parsing and
 * planning them anew on each call was a large share of the database's work — above all on the
 * embedded engine, where the parser and planner run as WebAssembly on the server's own thread.
 * Their result columns are described once per session too (`preparedQuery`).
 *
 * PostgreSQL re-plans a prepared statement by itself when a table it reads changes; the one
 * thing it refuses is a changed result type for the same text, which happens only when a
 * migration alters a table a `select *` had already been prepared against in the same session.
 * Migrations run before a process serves anything, so no session meets that.
 *
 * It also saves two round trips per transaction, each worth as much CPU as a small statement
 * (a write, a wake-up and a read on both sides): BEGIN is held back and written together with
 * the transaction's first statement, and a statement ending in `commitFollows` is written
 * together with the COMMIT. With `pipeline` (on a PostgreSQL server) both go out in one write
 * and the client does not wait between them; each still has its own Sync, so PostgreSQL
 * answers them one by one and an error in the statement turns the COMMIT into a ROLLBACK.
 * Only the transaction's own calls are ever in flight together: Kysely runs a connection's
 * statements one at a time.
 */
export class PreparingClient extends pg.Client {
  readonly #prepared = new Set<string>()
  readonly #described = new Map<string, Described>()
  #beginHeld = false
  #commitSent: Promise<Result> | undefined

  constructor(config?: string | pg.ClientConfig) {
    super(config)
    // A connection that fails while in use (the server restarted, the backend was terminated)
    // answers the error to the query in flight, and the pool drops it when it is released.
    // Without a listener node-postgres would also emit it as an unhandled 'error' event, which
    // ends the process.
    this.on('error', () => {})
  }

  // node-postgres's overloads cannot be restated in a subclass; the call is passed through.
  override query(...args: any[]): any {
    const [text, , callback] = args
    if (typeof text !== 'string' || callback !== undefined) return this.#send(args)
    if (text === 'begin') {
      this.#beginHeld = true
      return answered('BEGIN')
    }
    if (text === 'commit' || text === 'rollback') return this.#end(text, args)
    if (text === pipelineMarker) return this.#pipeline(args[1])
    if (this.#beginHeld) {
      this.#beginHeld = false
      return Promise.all(this.#inOneWrite([['begin'], args])).then(([, result]) => result)
    }
    if (text.endsWith(commitFollows)) {
      const [result, commit] = this.#inOneWrite([args, ['commit']]) as [Answer, Answer]
      this.#commitSent = commit
      // Answered to `#end`, or to no one when the statement failed (the transaction is over).
      commit.catch(() => {})
      return result
    }
    return this.#send(args)
  }

  /** COMMIT or ROLLBACK: nothing to send when the transaction never began on the server. */
  #end(text: 'commit' | 'rollback', args: any[]): Promise<Result> {
    if (this.#beginHeld) {
      this.#beginHeld = false
      return answered(text.toUpperCase())
    }
    const sent = this.#commitSent
    if (!sent) return this.#send(args)
    this.#commitSent = undefined
    // A rollback after a failed last statement: the COMMIT written behind it already ended the
    // transaction (as a ROLLBACK). If that COMMIT failed, the connection did: the failure is
    // answered, so that the connection is discarded.
    return text === 'commit' ? sent : sent.then(() => answered('ROLLBACK'))
  }

  /**
   * The statements of `together`, written in one go (behind a held BEGIN): per statement its
   * rows or its error, so that each caller hears its own answer.
   */
  async #pipeline(statements: readonly { sql: string; parameters: readonly unknown[] }[]): Promise<Result> {
    const answer = (sent: Promise<Result>): Promise<Pipelined> =>
      sent.then(
        (result) => ({ rows: result.rows }),
        (error: unknown) => ({ error }),
      )
    // Without pipeline mode (the embedded engine) a client takes one query at a time.
    if (!(this as unknown as { pipeline: boolean }).pipeline) {
      const rows: Pipelined[] = []
      for (const s of statements) rows.push(await answer(this.query(s.sql, [...s.parameters])))
      return { command: 'PIPELINE', rowCount: null, rows, fields: [] }
    }
    const held = this.#beginHeld
    this.#beginHeld = false
    const sent = this.#inOneWrite([
      ...(held ? [['begin']] : []),
      ...statements.map((s) => [s.sql, [...s.parameters]]),
    ])
    const answers = sent.slice(held ? 1 : 0).map(answer)
    // A failed BEGIN fails every statement behind it: the query as a whole fails.
    if (held) await sent[0]
    return { command: 'PIPELINE', rowCount: null, rows: await Promise.all(answers), fields: [] }
  }

  /** Queries written in one go; their answers, in order. */
  #inOneWrite(queries: unknown[][]): Promise<Result>[] {
    const { stream } = (this as unknown as { connection: { stream: Corkable } }).connection
    stream.cork?.()
    try {
      return queries.map((q) => this.#send(q))
    } finally {
      stream.uncork?.()
    }
  }

  #send(args: any[]): any {
    const [text, values, callback] = args
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && text.length <= longestPrepared) {
      const name = statementName(text)
      if (this.#prepared.has(name) || this.#prepared.size < mostPrepared) {
        this.#prepared.add(name)
        if (callback !== undefined) return super.query({ name, text, values }, callback)
        const { query, answer } = preparedQuery(this.#described, name, text, values)
        super.query(query)
        return answer
      }
    }
    return (super.query as (...a: any[]) => any)(...args)
  }
}

const names = new Map<string, string>()

function statementName(text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = `s_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`
    if (names.size < mostPrepared * 4) names.set(text, name)
  }
  return name
}
