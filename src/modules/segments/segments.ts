import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import { DomainError, notFound, validationFailed, type FieldError } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { dayOf } from './counters.js'
import type { SegmentRow, SegmentsTables } from './db.js'
import { reconcile, type Diff } from './membership.js'
import { analyseRule, depthOf, maxRuleDepth, segmentRefPaths } from './rules.js'
import type { Rule, SegmentBody, SegmentView } from './schema.js'

type STx = Tx<SegmentsTables>

export function toView(row: SegmentRow): SegmentView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    rule: row.rule,
    memberCount: row.member_count,
    isTimeRelative: row.is_time_relative,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export async function findSegment(tx: STx, id: string): Promise<SegmentRow> {
  const row = await tx.selectFrom('segments.segment').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('segment', id)
  return row
}

type Graph = Map<string, { rule: Rule }>

async function graphOf(tx: STx): Promise<Graph> {
  const rows = await tx.selectFrom('segments.segment').select(['id', 'rule']).execute()
  return new Map(rows.map((r) => [r.id, { rule: r.rule as Rule }]))
}

/** Every segment `id` reads, directly or through others. */
function readsOf(graph: Graph, id: string, seen = new Set<string>()): Set<string> {
  const node = graph.get(id)
  if (!node) return seen
  for (const ref of analyseRule(node.rule).segmentIds) {
    if (seen.has(ref)) continue
    seen.add(ref)
    readsOf(graph, ref, seen)
  }
  return seen
}

/** A rule too deep, naming a missing segment, or closing a cycle is `validation-failed` at its path. */
function assertRuleFits(graph: Graph, id: string, rule: Rule): void {
  const errors: FieldError[] = []
  if (depthOf(rule) > maxRuleDepth) errors.push({ path: 'rule', message: `nests deeper than ${maxRuleDepth} levels` })
  for (const ref of segmentRefPaths(rule)) {
    if (ref.segmentId === id) errors.push({ path: ref.path, message: 'a segment cannot contain itself' })
    else if (!graph.has(ref.segmentId)) errors.push({ path: ref.path, message: `names no segment (${ref.segmentId})` })
    else if (readsOf(graph, ref.segmentId).has(id)) errors.push({ path: ref.path, message: `${ref.segmentId} reads this segment: a cycle` })
  }
  if (errors.length > 0) throw validationFailed(errors)
}

/**
 * Ranks (longest chain of segments read) and time-relativity (own windows, or reading a segment
 * that has them) for every segment, written where they changed: a handful of segments, in memory.
 */
async function refreshGraph(tx: STx): Promise<void> {
  const graph = await graphOf(tx)
  const memo = new Map<string, { rank: number; timed: boolean }>()
  const walk = (id: string, depth = 0): { rank: number; timed: boolean } => {
    const known = memo.get(id)
    if (known) return known
    const a = analyseRule(graph.get(id)!.rule)
    const refs = depth > 64 ? [] : a.segmentIds.filter((r) => graph.has(r)).map((r) => walk(r, depth + 1))
    const result = { rank: refs.length ? 1 + Math.max(...refs.map((r) => r.rank)) : 0, timed: a.isTimeRelative || refs.some((r) => r.timed) }
    memo.set(id, result)
    return result
  }
  const ids = [...graph.keys()]
  const facts = ids.map((id) => walk(id))
  await sql`
    update segments.segment s set rank = u.rank, is_time_relative = u.timed
    from unnest(${ids}::text[], ${facts.map((f) => f.rank)}::int[], ${facts.map((f) => f.timed)}::boolean[]) as u(id, rank, timed)
    where s.id = u.id and (s.rank <> u.rank or s.is_time_relative <> u.timed)`.execute(tx)
}

/** The segments that read `id`, directly or not, in rank order. */
async function readersOf(tx: STx, id: string): Promise<SegmentRow[]> {
  const graph = await graphOf(tx)
  const readers = [...graph.keys()].filter((other) => readsOf(graph, other).has(id))
  if (readers.length === 0) return []
  return tx.selectFrom('segments.segment').selectAll().where('id', 'in', readers).orderBy('rank').orderBy('id').execute()
}

/**
 * Computes a segment's members from scratch with one set-based statement and applies the
 * difference with the stored members (entered/exited events for each change), then does the same
 * for the segments that read it. `not-found` for an unknown segment.
 */
export async function recomputeSegment(tx: STx, clock: Clock, id: string): Promise<Diff & { memberCount: number }> {
  const segment = await findSegment(tx, id)
  const now = clock.now()
  const diff = await recomputeOne(tx, now, segment)
  for (const reader of await readersOf(tx, id)) await recomputeOne(tx, now, reader)
  const after = await findSegment(tx, id)
  return { ...diff, memberCount: after.member_count }
}

/**
 * Recomputes the segments that read a trait (and those reading them): after a new definition is
 * back-filled, a segment written against it before it existed gets its members.
 */
export async function recomputeTraitReaders(tx: STx, clock: Clock, trait: string): Promise<void> {
  const readers = await sql<{ id: string }>`
    select id from segments.segment where ${`trait:${trait}`} = any(depends_on) order by rank, id`.execute(tx)
  for (const r of readers.rows) await recomputeSegment(tx, clock, r.id)
}

/** Recomputes one segment under its row lock, so concurrent batches and recomputes apply one after the other. */
export async function recomputeOne(tx: STx, now: Date, segment: Pick<SegmentRow, 'id' | 'name' | 'rule'>): Promise<Diff> {
  await sql`select id from segments.segment where id = ${segment.id} for update`.execute(tx)
  // Sets of a million ids hash and sort in memory rather than spilling to disk (this transaction only).
  await sql`set local work_mem = '64MB'`.execute(tx)
  const diff = await reconcile(tx, now, { id: segment.id, name: segment.name, rule: segment.rule as Rule }, { profileIds: null })
  await tx.updateTable('segments.segment').set({ evaluated_on: dayOf(now) }).where('id', '=', segment.id).execute()
  return diff
}

/** Saves a new segment and computes its members at once; see `assertRuleFits` for refusals. */
export async function createSegment(tx: STx, clock: Clock, body: SegmentBody): Promise<SegmentView> {
  const id = newId('seg')
  assertRuleFits(await graphOf(tx), id, body.rule)
  const now = clock.now()
  const a = analyseRule(body.rule)
  await tx
    .insertInto('segments.segment')
    .values({
      id,
      name: body.name,
      description: body.description ?? null,
      rule: JSON.stringify(body.rule),
      depends_on: a.dependsOn,
      is_time_relative: a.isTimeRelative,
      rank: 0,
      evaluated_on: null,
      member_count: 0,
      created_at: now,
      updated_at: now,
    })
    .execute()
  await refreshGraph(tx)
  await recomputeSegment(tx, clock, id)
  return toView(await findSegment(tx, id))
}

/**
 * Replaces a segment's name, description and rule and recomputes its members (and those of the
 * segments reading it) in the same transaction. The row is locked first, so two concurrent
 * updates apply one after the other.
 */
export async function updateSegment(tx: STx, clock: Clock, id: string, body: SegmentBody) {
  const locked = await sql<SegmentRow>`select * from segments.segment where id = ${id} for update`.execute(tx)
  const before = locked.rows[0]
  if (!before) throw notFound('segment', id)
  assertRuleFits(await graphOf(tx), id, body.rule)
  const a = analyseRule(body.rule)
  await tx
    .updateTable('segments.segment')
    .set({ name: body.name, description: body.description ?? null, rule: JSON.stringify(body.rule), depends_on: a.dependsOn, updated_at: clock.now() })
    .where('id', '=', id)
    .execute()
  await refreshGraph(tx)
  await recomputeSegment(tx, clock, id)
  return { before: toView(before), after: toView(await findSegment(tx, id)) }
}

/**
 * Deletes a segment with its memberships and history (no exit events: the segment is gone, not
 * its members' standing); `unprocessable` while another segment reads it.
 */
export async function deleteSegment(tx: STx, id: string): Promise<SegmentView> {
  const segment = await findSegment(tx, id)
  const readers = (await readersOf(tx, id)).map((r) => r.id)
  if (readers.length > 0) {
    throw new DomainError('unprocessable', `Segment ${id} is read by ${readers.join(', ')}`, { readers })
  }
  await tx.deleteFrom('segments.membership').where('segment_id', '=', id).execute()
  await tx.deleteFrom('segments.membership_change').where('segment_id', '=', id).execute()
  await tx.deleteFrom('segments.segment').where('id', '=', id).execute()
  return toView(segment)
}
