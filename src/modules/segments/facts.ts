import { sql } from 'kysely'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import type { OutboxEvent } from '../../kernel/outbox/index.js'
import { categoriesBySku } from '../catalog/index.js'
import { trackedEvents } from '../events/index.js'
import type { SegmentsTables } from './db.js'

/** Something a person did or that happened to them, as traits and behaviour rules see it. */
export type Fact = {
  source: string
  profileId: string
  name: string
  channel: string | null
  occurredAt: Date
  properties: Record<string, unknown>
}

type STx = Tx<SegmentsTables>

// Facts about membership itself, and merges (which move facts rather than add one).
const notFacts = /^(segment\.|customer\.merged$|customer\.unmerged$)/

const idOf = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : null)
const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

/** A tracked event's fact name: the event of a `track`, else its type (page, screen, identify…). */
function trackedName(type: string, event: string | null): string {
  return type === 'track' && event ? event : type
}

/**
 * The facts a batch of outbox events carries, in delivery order. A tracked event is read back
 * from the events module (one query per batch) for its properties, traits and corrected time;
 * an order gets the categories of its SKUs (one catalog query per batch).
 */
export async function factsOf(tx: STx, events: readonly OutboxEvent[]): Promise<Fact[]> {
  const trackedIds = events.filter((e) => e.name === 'event.processed' && e.profileId).map((e) => String(e.payload.eventId))
  const tracked = new Map((await trackedEvents(crossModule(tx), trackedIds)).map((t) => [t.id, t]))
  const facts: Fact[] = []
  for (const e of events) {
    if (notFacts.test(e.name)) continue
    if (e.name === 'event.processed') {
      const t = tracked.get(String(e.payload.eventId))
      if (!t || !e.profileId) continue
      facts.push({
        source: `evt:${t.id}`,
        profileId: e.profileId,
        name: trackedName(t.type, t.event),
        channel: t.channel,
        occurredAt: t.timestamp,
        properties: asObject(t.type === 'identify' || t.type === 'group' ? t.traits : t.properties),
      })
      continue
    }
    const profileId = e.profileId ?? idOf(e.payload.customerId) ?? idOf(e.payload.profileId)
    if (!profileId) continue
    facts.push({ source: `out:${e.id}`, profileId, name: e.name, channel: e.channel, occurredAt: e.occurredAt, properties: { ...e.payload } })
  }
  await addCategories(tx, facts)
  return facts
}

async function addCategories(tx: STx, facts: Fact[]) {
  const orders = facts.filter((f) => f.name === 'order.placed')
  const skusOf = (f: Fact) =>
    (Array.isArray(f.properties.lines) ? f.properties.lines : []).flatMap((l) => idOf(asObject(l).sku) ?? [])
  const categories = await categoriesBySku(crossModule(tx), [...new Set(orders.flatMap(skusOf))])
  for (const f of orders) {
    f.properties.categories = [...new Set(skusOf(f).flatMap((sku) => categories.get(sku) ?? []))].sort()
  }
}

/**
 * Keeps the facts in `segments.fact`, one INSERT per batch; a fact already stored (a redelivery)
 * is dropped from the returned list so nothing is counted twice.
 */
export async function storeFacts(tx: STx, facts: readonly Fact[]): Promise<Fact[]> {
  if (facts.length === 0) return []
  const col = <T>(pick: (f: Fact) => T) => facts.map(pick)
  const stored = await sql<{ source: string }>`
    insert into segments.fact (source, profile_id, name, channel, occurred_at, properties)
    select * from unnest(${col((f) => f.source)}::text[], ${col((f) => f.profileId)}::text[], ${col((f) => f.name)}::text[],
      ${col((f) => f.channel)}::text[], ${col((f) => f.occurredAt.toISOString())}::timestamptz[],
      ${col((f) => JSON.stringify(f.properties))}::jsonb[])
    on conflict (source) do nothing
    returning source`.execute(tx)
  const fresh = new Set(stored.rows.map((r) => r.source))
  return facts.filter((f) => fresh.has(f.source))
}

/** Every stored fact of these profiles, oldest first: what an unmerge or a back-fill replays. */
export async function factsOfProfiles(tx: STx, profileIds: readonly string[]): Promise<Fact[]> {
  if (profileIds.length === 0) return []
  const rows = await tx
    .selectFrom('segments.fact')
    .selectAll()
    .where('profile_id', 'in', [...profileIds])
    .orderBy('occurred_at')
    .orderBy('source')
    .execute()
  return rows.map((r) => ({
    source: r.source,
    profileId: r.profile_id,
    name: r.name,
    channel: r.channel,
    occurredAt: r.occurred_at,
    properties: asObject(r.properties),
  }))
}
