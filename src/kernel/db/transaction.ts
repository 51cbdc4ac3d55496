import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely'
import { commitFollows } from './prepared-client.js'

/** A transaction narrowed to the tables a module owns: other modules' tables do not compile. */
export type Tx<DB> = Transaction<DB>

// serialization_failure and deadlock_detected: the transaction did nothing, run it again.
const retryable = new Set(['40001', '40P01'])

/**
 * Thrown by a statement that locks rows and updates them in one command when the update skipped
 * a row its lock said was there: PostgreSQL skips a row that a concurrent transaction changed
 * before the lock and that this same command then locked (it counts as already handled by the
 * command). Nothing the transaction did can stand, so `inTransaction` runs it again, as it does
 * for a serialization failure.
 */
export class RetryTransaction extends Error {
  readonly code = '40001'
}

function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && retryable.has((err as { code?: string }).code ?? '')
}

/**
 * Runs `work` in one transaction and commits it, retrying the whole function when PostgreSQL
 * reports a serialization failure or a deadlock (both mean nothing was written). Services never
 * open, commit or retry transactions themselves; routes and job runners call this.
 */
export async function inTransaction<DB, T>(
  db: Kysely<DB>,
  work: (tx: Transaction<DB>) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (tx) => {
        const hooks = new Map<string, Hook>()
        commitHooks.set(tx, hooks)
        const result = await work(tx)
        const last = [...hooks.values()].flatMap((hook) => hook())
        // The COMMIT goes out with it: nothing runs between this statement and the commit.
        if (last.length > 0) await tx.executeQuery(asOneStatement(last))
        return result
      })
    } catch (err) {
      if (!isRetryable(err) || attempt >= attempts) throw err
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt))
    }
  }
}

type Hook = () => CompiledQuery | readonly CompiledQuery[]

const commitHooks = new WeakMap<object, Map<string, Hook>>()

/**
 * Sends the statements `hook` makes (each a plain INSERT, UPDATE or DELETE, without a WITH of its
 * own) at the end of a transaction opened by `inTransaction`, just before it commits, once per
 * `key` (the first registration wins). Every such statement of a transaction goes in one round
 * trip with the COMMIT, as data-modifying WITH clauses of one statement: they see the
 * transaction as it was before any of them, and none sees another's rows, though foreign keys
 * between them hold.
 * Answers false when `tx` did not come from `inTransaction`, and the caller must then write at
 * once. Lets the outbox gather a transaction's events into one insert, and rows nothing reads
 * before the commit (the stored answer of an Idempotency-Key, an order's parcels) share it.
 */
export function beforeCommit(tx: object, key: string, hook: Hook): boolean {
  const hooks = commitHooks.get(tx)
  if (!hooks) return false
  if (!hooks.has(key)) hooks.set(key, hook)
  return true
}

/**
 * Writes rows nothing reads before the commit with the transaction's last statement (see
 * `beforeCommit`), once per `key`; outside `inTransaction`, at once. Each write is a plain
 * INSERT, UPDATE or DELETE, compiled (see `statement`).
 */
export async function writeAtCommit(
  tx: Transaction<any>,
  key: string,
  writes: readonly CompiledQuery[],
): Promise<void> {
  if (beforeCommit(tx, key, () => writes)) return
  for (const w of writes) await tx.executeQuery(w)
}

// The text of each combination of last statements seen so far. Their parts come from
// `statement`, so a transaction's last statement is one of a few texts, joined once.
const joinedTexts = new Map<string, string>()
const mostJoinedTexts = 1_000

/**
 * The statements as one, `with last_0 as (…), last_1 as (…) <the last one>`, each one's `$n`
 * placeholders numbered after those of the statements before it, followed by the COMMIT.
 */
function asOneStatement(statements: readonly CompiledQuery[]): CompiledQuery {
  const parameters = statements.flatMap((s) => s.parameters)
  const key = statements.map((s) => s.sql).join('\u0000')
  let text = joinedTexts.get(key)
  if (text === undefined) {
    let offset = 0
    const texts = statements.map((s) => {
      let placeholders = 0
      const renumbered = s.sql.replace(/\$(\d+)/g, (_, n: string) => {
        placeholders++
        return `$${Number(n) + offset}`
      })
      // Compiled statements number each parameter once, in order; anything else is not one.
      if (placeholders !== s.parameters.length) {
        throw new Error(`not a compiled statement: ${s.sql}`)
      }
      offset += placeholders
      return renumbered
    })
    const main = texts.at(-1)!
    const before = texts.slice(0, -1).map((t, i) => `last_${i} as (${t})`)
    text = `${before.length > 0 ? `with ${before.join(', ')} ` : ''}${main}${commitFollows}`
    if (joinedTexts.size < mostJoinedTexts) joinedTexts.set(key, text)
  }
  return CompiledQuery.raw(text, parameters)
}

/**
 * Makes the rest of the transaction plan each statement for its actual parameters. Prepared
 * statements (see PreparingClient) otherwise switch to one generic plan, which suits a request's
 * few rows but can be far off for a batch of thousands handed over as arrays and joined with
 * large tables. The transactions that process such batches (outbox deliveries, event
 * processing) call this first; grouped writes, whose statements are simple inserts and updates
 * of a few dozen rows, do not.
 */
export async function planForBatch(tx: Transaction<any>): Promise<void> {
  await sql`set local plan_cache_mode = force_custom_plan`.execute(tx)
}

/** The SQLSTATE of a database error, when it is one. */
export function sqlState(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined
}

// What node-postgres says when the connection itself failed; these errors carry no SQLSTATE.
const lostConnection = /^(Connection terminated|Client has encountered a connection error|Connection ended)/
// The socket to the database refused, reset, broke (a write after the server closed it) or timed out.
const socketFailures = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'])

/**
 * Whether an error means the database could not be reached, dropped the connection (a
 * restart, a failover, a terminated backend) or would not take another (its connection limit
 * reached), rather than refusing a statement: SQLSTATE classes 08 (connection exception) and
 * 57 (operator intervention), 53300 (too many connections), the driver's own lost-connection
 * errors, and failed sockets. Nothing was committed unless the COMMIT itself was cut
 * off, which an Idempotency-Key retry settles.
 */
export function databaseUnavailable(err: unknown): boolean {
  const code = sqlState(err) ?? ''
  if (/^(08|57)|^53300$/.test(code) || socketFailures.has(code)) return true
  return err instanceof Error && lostConnection.test(err.message)
}

/** A transaction over any tables: what one module hands to another module's function. */
export type AnyTx = Transaction<any>

/**
 * Kysely's Transaction is invariant in its table map, so `Tx<ChannelsTables>` does not fit a
 * parameter typed `Tx<LocationsTables>`. A module calling another module's public function
 * passes `crossModule(tx)`: the same transaction, visibly handed over a module boundary.
 */
export function crossModule(tx: AnyTx): AnyTx {
  return tx
}

/**
 * Runs a read on the pool directly, without BEGIN and COMMIT: two round trips fewer for hot
 * reads (stock answers at the counter). Only for reads whose statements need not see one
 * snapshot; the function must not write. Services keep their `Tx` parameter: a Kysely instance
 * runs their queries the same way.
 */
export function withoutTransaction<DB, T>(db: Kysely<DB>, read: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  return read(db as unknown as Transaction<DB>)
}
