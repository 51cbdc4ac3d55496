import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { sql, type CompiledQuery, type Kysely, type Transaction } from 'kysely'
import type { Clock } from '../clock.js'
import { configurationChanged } from '../config-cache.js'
import { inTransaction, statement, writeAtCommit } from '../db/index.js'
import { DomainError, validationFailed } from '../errors.js'

export type IdempotencyTables = {
  'kernel.idempotency_key': {
    owner: string
    key: string
    request_hash: string
    status: number | null
    /** The answer's body as JSON text, replayed as it was first sent. */
    response: string | null
    created_at: Date
  }
}

function requestHash(req: FastifyRequest): string {
  return createHash('sha256')
    .update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex')
}

/** The request's `Idempotency-Key`, checked; undefined when it sent none. */
export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers['idempotency-key']
  if (raw === undefined) return undefined
  if (typeof raw !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(raw)) {
    throw validationFailed([
      { path: 'headers.idempotency-key', message: 'must be 1 to 255 visible ASCII characters' },
    ])
  }
  return raw
}

/**
 * The Idempotency-Key of a write that must not run twice (an order, a refund): without one it is
 * `validation-failed` at `headers.idempotency-key`, saying `why`.
 */
export function requireIdempotencyKey(req: FastifyRequest, why: string): string {
  const key = idempotencyKeyOf(req)
  if (!key) throw validationFailed([{ path: 'headers.idempotency-key', message: `is required: ${why}` }])
  return key
}

const claimKey = statement(
  (db: Kysely<IdempotencyTables>, p: { owner: string; key: string; hash: string; at: Date }) =>
    db
      .insertInto('kernel.idempotency_key')
      .values({ owner: p.owner, key: p.key, request_hash: p.hash, created_at: p.at })
      .onConflict((oc) => oc.columns(['owner', 'key']).doNothing())
      .returning('key'),
)

const storeAnswer = statement(
  (_db, p: { owner: string; key: string; status: number; response: string }) => sql`
    update kernel.idempotency_key set status = ${p.status}, response = ${p.response}
    where owner = ${p.owner} and key = ${p.key}`,
)

const recordAnswer = statement(
  (
    db: Kysely<IdempotencyTables>,
    p: { owner: string; key: string; hash: string; status: number; response: string; at: Date },
  ) =>
    db.insertInto('kernel.idempotency_key').values({
      owner: p.owner,
      key: p.key,
      request_hash: p.hash,
      status: p.status,
      response: p.response,
      created_at: p.at,
    }),
)

type Stored = IdempotencyTables['kernel.idempotency_key']

/** The stored answer as a replay; `idempotency-key-reused` when it answered another request. */
function replayOf<T>(stored: Stored, key: string, hash: string, statusOf: (result: T) => number) {
  if (stored.request_hash !== hash) {
    const message = `Idempotency-Key ${key} was used with another request`
    throw new DomainError('idempotency-key-reused', message)
  }
  const body = JSON.parse(stored.response ?? 'null') as T
  return { status: stored.status ?? statusOf(body), body, replayed: true }
}

function storedAnswer(db: Kysely<IdempotencyTables>, owner: string, key: string) {
  return db
    .selectFrom('kernel.idempotency_key')
    .selectAll()
    .where('owner', '=', owner)
    .where('key', '=', key)
    .executeTakeFirst()
}

/** How a write's key is taken: see `idempotentWrite`. */
export type KeyClaim = 'first' | 'at-commit'

/**
 * Runs a write in one transaction and sends its result with `status`. With an
 * `Idempotency-Key`, the key row is inserted first in that same transaction: a concurrent
 * retry's insert waits on the unique index until the first commits, then finds the stored
 * answer and replays it (same status, same body). The same key with another request is 409.
 * A refused write rolls back its key too, so the client may retry after fixing the cause.
 * `status` may be a function of the result, for writes
 * whose answer depends on what they found (201 created or 200 existing); a replay answers the
 * status stored with the key.
 */
export async function sendWrite<DB, T>(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: { db: Kysely<DB>; clock: Clock },
  status: number | ((result: T) => number),
  work: (tx: Transaction<DB>) => Promise<T>,
) {
  const result = await idempotentWrite(req, deps, status, work)
  if (result.replayed) reply.header('idempotent-replayed', 'true')
  return reply.code(result.status).send(result.body)
}

/**
 * `sendWrite` without sending: answers the status, the body and whether it was a replay, for
 * routes with more to do after the write commits (a provider call that must hold no lock).
 *
 * With `claim: 'at-commit'` the key row is not inserted first but written with the answer by
 * the transaction's last statement, one statement fewer for the hottest writes (an order
 * placement: a seventh of its statements). A duplicate then does the work as well, and its
 * transaction fails when its key meets the first one's (waiting for it to commit, as the first
 * insert would have); any failure of a keyed write looks for a committed answer under its key
 * and replays that instead (a retry that finds the last unit taken by its own first attempt).
 * Only for work that changes nothing outside the database before it commits, since a duplicate
 * runs it to the end: a provider call inside the transaction needs the key claimed first. What
 * a duplicate draws from a sequence (an order number) stays used, as after any rollback.
 */
export async function idempotentWrite<DB, T>(
  req: FastifyRequest,
  deps: { db: Kysely<DB>; clock: Clock },
  status: number | ((result: T) => number),
  work: (tx: Transaction<DB>) => Promise<T>,
  claim: KeyClaim = 'first',
): Promise<{ status: number; body: T; replayed: boolean }> {
  const statusOf = (result: T) => (typeof status === 'number' ? status : status(result))
  const key = idempotencyKeyOf(req)
  if (!key) {
    const body = await inTransaction(deps.db, work)
    return { status: statusOf(body), body, replayed: false }
  }
  const owner = req.principal.keyId
  const hash = requestHash(req)
  const db = deps.db as unknown as Kysely<IdempotencyTables>
  // Does the work, then stores its answer with the transaction's last statement, as text:
  // PostgreSQL would otherwise parse a few kilobytes of JSON per write that nothing queries.
  type Store = (status: number, response: string) => CompiledQuery
  const answer = async (tx: Transaction<IdempotencyTables>, store: Store) => {
    const body = await work(tx as unknown as Transaction<DB>)
    const answered = statusOf(body)
    await writeAtCommit(tx, 'idempotency', [store(answered, JSON.stringify(body))])
    return { status: answered, body, replayed: false }
  }
  if (claim === 'at-commit') {
    try {
      return await inTransaction(db, (tx) =>
        answer(tx, (status, response) =>
          recordAnswer.compile({ owner, key, hash, status, response, at: deps.clock.now() }),
        ),
      )
    } catch (err) {
      const stored = await storedAnswer(db, owner, key).catch(() => undefined)
      if (!stored) throw err
      return replayOf(stored, key, hash, statusOf)
    }
  }
  return inTransaction(db, async (tx) => {
    const [claimed] = await claimKey.execute(tx, { owner, key, hash, at: deps.clock.now() })
    if (!claimed) {
      const stored = await storedAnswer(tx, owner, key)
      if (!stored) throw new Error(`Idempotency-Key ${key} neither claimed nor stored`)
      return replayOf(stored, key, hash, statusOf)
    }
    return answer(tx, (status, response) => storeAnswer.compile({ owner, key, status, response }))
  })
}

/**
 * `sendWrite` for writes that change configuration (locations, channels): once the write has
 * committed, every process-local configuration cache reloads, before any later request of this
 * process can read it.
 */
export async function changeConfiguration<DB, T>(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: { db: Kysely<DB>; clock: Clock },
  status: number,
  work: (tx: Transaction<DB>) => Promise<T>,
) {
  try {
    return await sendWrite(req, reply, deps, status, work)
  } finally {
    configurationChanged()
  }
}
