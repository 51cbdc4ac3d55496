import { createHash } from 'node:crypto'
import pg from 'pg'

// Statements without parameters are transaction control, DDL or text with literals inlined,
// rarely repeated; long texts are bulk statements (an import's multi-row insert), a new text
// for each row count. Preparing either would only fill the session with plans used once.
const longestPrepared = 8_000
// A session keeps every statement it prepared; past this many, new texts run unprepared.
const mostPrepared = 2_000

/**
 * A node-postgres client that prepares each parameterised statement once per session, under a
 * name derived from its text, and afterwards only binds and executes it. The same few dozen
 * statements make up every hot path (an order placement is twenty of them), and parsing and
 * planning them anew on each call was a large share of the database's work — above all on the
 * embedded engine, where the parser and planner run as WebAssembly on the server's own thread.
 *
 * PostgreSQL re-plans a prepared statement by itself when a table it reads changes; the one
 * thing it refuses is a changed result type for the same text, which happens only when a
 * migration alters a table a `select *` had already been prepared against in the same session.
 * Migrations run before a process serves anything, so no session meets that.
 */
export class PreparingClient extends pg.Client {
  readonly #prepared = new Set<string>()

  // node-postgres's overloads cannot be restated in a subclass; the call is passed through.
  override query(...args: any[]): any {
    const [text, values, callback] = args
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && text.length <= longestPrepared) {
      const name = statementName(text)
      if (this.#prepared.has(name) || this.#prepared.size < mostPrepared) {
        this.#prepared.add(name)
        return super.query({ name, text, values }, callback)
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
