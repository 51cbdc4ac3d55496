import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { decodeCursor, decodeTimeCursor, toPage, type Page, type PageQuery } from '../../kernel/http/index.js'
import { getCustomer, type ProfileExtras } from '../customers/index.js'
import { customTraitPrefix } from './builtins.js'
import { dayOf } from './counters.js'
import type { SegmentsTables } from './db.js'
import { windowStart } from './rules.js'
import { findSegment, toView } from './segments.js'
import type { SegmentView } from './schema.js'

type STx = Tx<SegmentsTables>

/** Segments, newest first (keyset on created_at, id). */
export async function listSegments(tx: STx, query: PageQuery): Promise<Page<SegmentView>> {
  let q = tx.selectFrom('segments.segment').selectAll()
  if (query.cursor) {
    const { at: after, id } = decodeTimeCursor(query.cursor)
    q = q.where((eb) => eb.or([eb('created_at', '<', after), eb.and([eb('created_at', '=', after), eb('id', '<', id)])]))
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute()
  return toPage(rows, query.limit, (r) => [r.created_at.toISOString(), r.id], toView)
}

/**
 * A segment's members in profile id order, keyset-paginated on the primary key, so members
 * entering meanwhile never shift a page. `not-found` for an unknown segment.
 */
export async function listMembers(tx: STx, segmentId: string, query: PageQuery) {
  await findSegment(tx, segmentId)
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null
  const rows = await memberChunk(tx, segmentId, after, query.limit + 1)
  return toPage(rows, query.limit, (r) => [r.profile_id], (r) => ({ profileId: r.profile_id, enteredAt: r.entered_at.toISOString() }))
}

/** Up to `limit` members after `afterProfileId` in profile id order: one page of a CSV export. */
export async function memberChunk(tx: STx, segmentId: string, afterProfileId: string | null, limit: number) {
  let q = tx.selectFrom('segments.membership').select(['profile_id', 'entered_at']).where('segment_id', '=', segmentId)
  if (afterProfileId !== null) q = q.where('profile_id', '>', afterProfileId)
  return q.orderBy('profile_id').limit(limit).execute()
}

/**
 * Members at the end of each UTC day of the last `days` days (today included), with that day's
 * entries and exits: running sums over the daily history, one statement.
 */
export async function memberCounts(tx: STx, clock: Clock, segmentId: string, days: number) {
  await findSegment(tx, segmentId)
  const today = dayOf(clock.now())
  const from = windowStart(today, days)
  const rows = await sql<{ day: string; entered: number; exited: number; count: number }>`
    with h as (select day, entered, exited from segments.membership_change where segment_id = ${segmentId}),
    base as (select coalesce(sum(entered - exited), 0)::int as n from h where day < ${from}::date)
    select to_char(d.day, 'YYYY-MM-DD') as day, coalesce(h.entered, 0)::int as entered, coalesce(h.exited, 0)::int as exited,
      ((select n from base) + sum(coalesce(h.entered, 0) - coalesce(h.exited, 0)) over (order by d.day))::int as count
    from (select g::date as day from generate_series(${from}::date, ${today}::date, interval '1 day') g) d
    left join h on h.day = d.day
    order by d.day`.execute(tx)
  return { data: rows.rows }
}

/** A customer's traits (built-in and defined ones, and `identify` traits under `custom`); `not-found` for an unknown id. */
export async function profileTraits(tx: STx, id: string) {
  const customer = await getCustomer(crossModule(tx), id)
  return { profileId: customer.id, ...(await traitsOf(tx, customer.id)) }
}

async function traitsOf(tx: STx, profileId: string) {
  const rows = await tx.selectFrom('segments.trait_state').select(['trait', 'value']).where('profile_id', '=', profileId).orderBy('trait').execute()
  const traits: Record<string, unknown> = {}
  const custom: Record<string, unknown> = {}
  for (const r of rows) {
    if (r.value === null || r.value === undefined) continue
    if (r.trait.startsWith(customTraitPrefix)) custom[r.trait.slice(customTraitPrefix.length)] = r.value
    else traits[r.trait] = r.value
  }
  return { traits, custom }
}

async function segmentsOf(tx: STx, profileId: string) {
  const rows = await tx
    .selectFrom('segments.membership as m')
    .innerJoin('segments.segment as s', 's.id', 'm.segment_id')
    .select(['m.segment_id', 's.name', 'm.entered_at'])
    .where('m.profile_id', '=', profileId)
    .orderBy('m.entered_at', 'desc')
    .orderBy('m.segment_id')
    .execute()
  return rows.map((r) => ({ segmentId: r.segment_id, name: r.name, enteredAt: r.entered_at.toISOString() }))
}

/** The segments a customer is in now, most recent entry first; `not-found` for an unknown id. */
export async function profileSegments(tx: STx, id: string) {
  const customer = await getCustomer(crossModule(tx), id)
  return { profileId: customer.id, data: await segmentsOf(tx, customer.id) }
}

/** The customers module's `ProfileExtras` port: traits and segments on `GET /v1/customers/{id}`. */
export const segmentProfileExtras: ProfileExtras = async (tx, profileId) => {
  const [{ traits, custom }, segments] = await Promise.all([traitsOf(tx, profileId), segmentsOf(tx, profileId)])
  return { traits: { ...traits, custom }, segments }
}
