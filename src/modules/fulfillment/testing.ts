import { sql, type Kysely } from 'kysely'
import type { TestApp } from '../../../test/support/app.js'

/** Test helpers for fulfilment suites; production code never imports this file. */

let keys = 0

/** Moves a fulfilment as `key` (the admin key unless told). */
export function transition(t: TestApp, id: string, body: object, key?: string) {
  return t.call('POST', `/v1/fulfillments/${id}/transitions`, body, {
    ...(key && { key }),
    headers: { 'idempotency-key': `ful-${++keys}` },
  })
}

/** On-hand and reserved units of one SKU at one location. */
export async function stockAt(db: Kysely<any>, sku: string, location: string) {
  const rows = await sql<{ onHand: number; reserved: number }>`
    select on_hand::int as "onHand", reserved::int as reserved from inventory.stock_level
    where sku = ${sku} and location = ${location}`.execute(db)
  return rows.rows[0] ?? { onHand: 0, reserved: 0 }
}

/** The fulfilment events in the outbox, oldest first, with who and where they concern. */
export async function fulfillmentEvents(db: Kysely<any>) {
  const rows = await sql<{ name: string; profileId: string | null; channel: string | null }>`
    select name, profile_id as "profileId", channel from kernel.outbox
    where name like 'fulfillment.%' order by id`.execute(db)
  return rows.rows
}

/** Row counts that a refused fulfilment request must leave unchanged. */
export async function fulfillmentSnapshot(db: Kysely<any>) {
  const rows = await sql<Record<string, unknown>>`
    select (select json_agg(f order by id) from fulfillment.fulfillment f) as fulfillments,
           (select count(*)::int from kernel.outbox) as events,
           (select count(*)::int from orders.order_event) as timeline,
           (select coalesce(sum(reserved), 0)::int from inventory.stock_level) as reserved`.execute(
    db,
  )
  return JSON.stringify(rows.rows[0])
}
