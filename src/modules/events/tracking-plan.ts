import { sql, type Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { ConfigCache } from '../../kernel/config-cache.js'
import type { Tx } from '../../kernel/db/index.js'
import { notFound, validationFailed, type FieldError } from '../../kernel/errors.js'
import { decodeCursor, decodeTimeCursor, toPage, type Page, type PageQuery } from '../../kernel/http/index.js'
import { newId } from '../../kernel/ids.js'
import type { EventsTables, TrackingMode } from './db.js'
import type { NewEvent } from './ingest.js'
import { compileSchema, schemaErrors, type Validator } from './json-schema.js'
import type { TrackingPlanView, TrackingSchemaBody, TrackingSchemaView, ViolationCountView, ViolationView } from './schema.js'

const defaultMode: TrackingMode = 'record'

/** The plan as ingestion uses it: validators compiled once per plan change, not per event. */
export type CompiledPlan = {
  readonly mode: TrackingMode
  readonly events: ReadonlyMap<string, { readonly validate: Validator; readonly mode: TrackingMode }>
}

/** A stored event that broke its schema, recorded beside it in the same transaction. */
export type NewViolation = { eventId: string; event: string; messageId: string; channel: string | null; errors: FieldError[]; receivedAt: Date }

const cache = new ConfigCache<CompiledPlan>()

/**
 * The current plan, compiled. Read on every ingestion call, so cached (see ConfigCache): a
 * change made through this process applies to the next request, one made by another process
 * sharing the server within two seconds.
 */
export function compiledPlan(db: Kysely<any>): Promise<CompiledPlan> {
  return cache.get(async () => {
    const d = db as Kysely<EventsTables>
    const settings = await d.selectFrom('events.tracking_plan').select('mode').executeTakeFirst()
    const mode = settings?.mode ?? defaultMode
    const rows = await d.selectFrom('events.tracking_schema').select(['event', 'schema', 'mode']).execute()
    return { mode, events: new Map(rows.map((r) => [r.event, { validate: compileSchema(r.schema), mode: r.mode ?? mode }])) }
  })
}

/**
 * Checks every track event against its schema. Violations of events in `reject` mode come back
 * as `rejected`, with paths under `pathOf(i)` (the caller refuses the whole request, as Segment
 * refuses an invalid payload); the others come back as violations to record with the events.
 */
export function checkEvents(plan: CompiledPlan, events: readonly NewEvent[], pathOf: (i: number) => string) {
  const violations: NewViolation[] = []
  const rejected: FieldError[] = []
  if (plan.events.size === 0) return { violations, rejected }
  events.forEach((e, i) => {
    const entry = e.type === 'track' && e.event !== null ? plan.events.get(e.event) : undefined
    if (!entry) return
    const errors = entry.validate(e.properties ?? {}, 'properties')
    if (errors.length === 0) return
    if (entry.mode === 'reject') {
      const prefix = pathOf(i)
      rejected.push(...errors.map((err) => ({ path: prefix ? `${prefix}.${err.path}` : err.path, message: err.message })))
    } else {
      violations.push({ eventId: e.id, event: e.event!, messageId: e.messageId, channel: e.channel, errors, receivedAt: e.receivedAt })
    }
  })
  return { violations, rejected }
}

/**
 * Records violations in one statement, only for events this transaction really stored: a
 * re-sent event (skipped by its messageId) keeps its id from the first time, so its new id
 * matches no row and its violation is not counted twice.
 */
export async function insertViolations(tx: Tx<EventsTables>, violations: readonly NewViolation[]): Promise<void> {
  if (violations.length === 0) return
  const col = <T>(pick: (v: NewViolation) => T) => violations.map(pick)
  await sql`
    insert into events.tracking_violation (id, event_id, event, message_id, channel, errors, received_at)
    select v.id, v.event_id, v.event, v.message_id, v.channel, v.errors, v.received_at
    from unnest(${col(() => newId('tvi'))}::text[], ${col((v) => v.eventId)}::text[], ${col((v) => v.event)}::text[],
      ${col((v) => v.messageId)}::text[], ${col((v) => v.channel)}::text[], ${col((v) => JSON.stringify(v.errors))}::jsonb[],
      ${col((v) => v.receivedAt.toISOString())}::timestamptz[]) as v(id, event_id, event, message_id, channel, errors, received_at)
    join events.event e on e.id = v.event_id`.execute(tx)
}

type SchemaRow = { event: string; schema: Record<string, unknown>; mode: TrackingMode | null; created_at: Date; updated_at: Date }

function toSchemaView(row: SchemaRow, planMode: TrackingMode): TrackingSchemaView {
  return {
    event: row.event,
    schema: row.schema,
    mode: row.mode,
    effectiveMode: row.mode ?? planMode,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

async function planMode(tx: Tx<EventsTables>): Promise<TrackingMode> {
  return (await tx.selectFrom('events.tracking_plan').select('mode').executeTakeFirst())?.mode ?? defaultMode
}

/** The whole plan: its default mode and every event's schema, by event name. */
export async function trackingPlan(tx: Tx<EventsTables>): Promise<TrackingPlanView> {
  const mode = await planMode(tx)
  const rows = await tx.selectFrom('events.tracking_schema').selectAll().orderBy('event').execute()
  return { mode, events: rows.map((r) => toSchemaView(r, mode)) }
}

/** Sets the plan's default mode, for events whose schema names none. */
export async function setPlanMode(tx: Tx<EventsTables>, clock: Clock, mode: TrackingMode): Promise<TrackingPlanView> {
  await tx
    .insertInto('events.tracking_plan')
    .values({ id: true, mode, updated_at: clock.now() })
    .onConflict((oc) => oc.column('id').doUpdateSet({ mode, updated_at: clock.now() }))
    .execute()
  return trackingPlan(tx)
}

/**
 * Creates or replaces an event's schema. A schema outside the supported subset is
 * `validation-failed` at `schema.<keyword path>`; the caller clears the compiled-plan cache
 * after commit (changeConfiguration). Returns the previous view too, for the audit trail.
 */
export async function putEventSchema(tx: Tx<EventsTables>, clock: Clock, event: string, body: TrackingSchemaBody) {
  const errors = schemaErrors(body.schema, 'schema')
  if (errors.length > 0) throw validationFailed(errors)
  const mode = await planMode(tx)
  const before = await tx.selectFrom('events.tracking_schema').selectAll().where('event', '=', event).executeTakeFirst()
  const now = clock.now()
  const schema = JSON.stringify(body.schema) as unknown as Record<string, unknown>
  const row = await tx
    .insertInto('events.tracking_schema')
    .values({ event, schema, mode: body.mode ?? null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('event').doUpdateSet({ schema, mode: body.mode ?? null, updated_at: now }))
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before: before ? toSchemaView(before, mode) : null, after: toSchemaView(row, mode) }
}

/** Removes an event's schema (its recorded violations stay); `not-found` when it has none. */
export async function removeEventSchema(tx: Tx<EventsTables>, event: string): Promise<TrackingSchemaView> {
  const mode = await planMode(tx)
  const row = await tx.deleteFrom('events.tracking_schema').where('event', '=', event).returningAll().executeTakeFirst()
  if (!row) throw notFound('tracking schema for event', event)
  return toSchemaView(row, mode)
}

/** Violations counted per event name, by name; the cursor is the last name. */
export async function violationCounts(tx: Tx<EventsTables>, query: PageQuery): Promise<Page<ViolationCountView>> {
  let q = tx
    .selectFrom('events.tracking_violation')
    .select((eb) => ['event', eb.fn.countAll<string>().as('count'), eb.fn.max('received_at').as('last_seen_at')])
    .groupBy('event')
  if (query.cursor) q = q.where('event', '>', String(decodeCursor(query.cursor, 1)[0]))
  const rows = await q.orderBy('event').limit(query.limit + 1).execute()
  return toPage(rows, query.limit, (r) => [r.event], (r) => ({
    event: r.event,
    count: Number(r.count),
    lastSeenAt: new Date(r.last_seen_at as unknown as string).toISOString(),
  }))
}

/** One event name's violations, newest first (keyset on received_at, id). */
export async function listViolations(tx: Tx<EventsTables>, event: string, query: PageQuery): Promise<Page<ViolationView>> {
  let q = tx.selectFrom('events.tracking_violation').selectAll().where('event', '=', event)
  if (query.cursor) {
    const { at: after, id } = decodeTimeCursor(query.cursor)
    q = q.where((eb) => eb.or([eb('received_at', '<', after), eb.and([eb('received_at', '=', after), eb('id', '<', id)])]))
  }
  const rows = await q.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute()
  return toPage(rows, query.limit, (r) => [r.received_at.toISOString(), r.id], (r) => ({
    id: r.id,
    eventId: r.event_id,
    event: r.event,
    messageId: r.message_id,
    channel: r.channel,
    errors: r.errors,
    receivedAt: r.received_at.toISOString(),
  }))
}
