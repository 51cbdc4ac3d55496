import { sql } from 'kysely'
import { expect } from 'vitest'
import type { TestApp } from '../../../test/support/app.js'
import { inTransaction } from '../../kernel/db/index.js'
import { appendEvents } from '../../kernel/outbox/index.js'
import { processPendingEvents } from '../events/index.js'
import { basicAuth } from '../events/testing.js'
import { createChannel } from '../inventory/testing.js'

/** Test helpers for segment suites; production code never imports this file. */

type Reply = { statusCode: number; body: string; json(): any }

export async function ok(reply: Promise<Reply>, status = 200): Promise<any> {
  const r = await reply
  expect(r.statusCode, r.body).toBe(status)
  return r.json()
}

/** A customer with this email (created through the API); answers its id. */
export async function customer(t: TestApp, email: string): Promise<string> {
  const body = await ok(t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: email }] }), 201)
  return body.id
}

export type OrderFact = { amount: number; channel?: string | null; store?: string | null; skus?: string[]; currency?: string }

/** Appends an `order.placed` fact as the orders module writes it, at the test clock's time. */
export async function orderPlaced(t: TestApp, profileId: string, order: OrderFact): Promise<void> {
  await inTransaction(t.db, (tx) =>
    appendEvents(tx, t.clock, [
      {
        name: 'order.placed',
        payload: {
          orderId: `ord_${Math.random().toString(36).slice(2)}`,
          number: 1,
          customerId: profileId,
          status: 'confirmed',
          store: order.store ?? null,
          total: { amount: order.amount, currency: order.currency ?? 'EUR' },
          lines: (order.skus ?? []).map((sku) => ({ sku, location: 'wh1', quantity: 1 })),
        },
        channel: order.channel === undefined ? 'web' : order.channel,
        profileId,
      },
    ]),
  )
}

/** Touchpoint write keys for the channels tests track on. */
export async function touchpoints(t: TestApp) {
  return { app: await createChannel(t, 'app', 'app'), web: await createChannel(t, 'web', 'web') }
}

/** Sends a Segment `track` call as the given touchpoint. */
export async function track(t: TestApp, writeKey: string, userId: string, event: string, properties: object = {}, extra: object = {}) {
  await ok(t.call('POST', '/v1/track', { userId, event, properties, ...extra }, { key: null, headers: basicAuth(writeKey) }))
}

export async function identify(t: TestApp, writeKey: string, userId: string, traits: object) {
  await ok(t.call('POST', '/v1/identify', { userId, traits }, { key: null, headers: basicAuth(writeKey) }))
}

/** Resolves pending tracked events into profiles and delivers every outbox fact to subscribers. */
export async function settle(t: TestApp): Promise<void> {
  await processPendingEvents(t.db, t.clock)
  await t.dispatcher.drain()
}

/** The profile a user id resolved to. */
export async function profileOfUser(t: TestApp, userId: string): Promise<string> {
  const found = await ok(t.call('GET', `/v1/customers?identity=user_id:${encodeURIComponent(userId)}`))
  return found.data[0].id
}

export async function traitsOf(t: TestApp, profileId: string) {
  return ok(t.call('GET', `/v1/customers/${profileId}/traits`))
}

/** `segment.entered` / `segment.exited` facts in the outbox, oldest first, as "entered <profile>". */
export async function membershipEvents(t: TestApp, segmentId: string): Promise<string[]> {
  const rows = await sql<{ name: string; profile_id: string }>`
    select name, profile_id from kernel.outbox
    where name in ('segment.entered', 'segment.exited') and payload ->> 'segmentId' = ${segmentId} order by id`.execute(t.db)
  return rows.rows.map((r) => `${r.name.slice(8)} ${r.profile_id}`)
}

export async function members(t: TestApp, segmentId: string): Promise<string[]> {
  const rows = await sql<{ profile_id: string }>`
    select profile_id from segments.membership where segment_id = ${segmentId} order by profile_id`.execute(t.db)
  return rows.rows.map((r) => r.profile_id)
}

export async function createSegmentVia(t: TestApp, rule: unknown, name = 'Segment'): Promise<string> {
  const body = await ok(t.call('POST', '/v1/segments', { name, rule }), 201)
  return body.id
}
