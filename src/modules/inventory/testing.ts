import { sql, type Kysely } from 'kysely'
import type { TestApp } from '../../../test/support/app.js'
import { seedProducts } from '../catalog/testing.js'

/** Test helpers for inventory suites; production code never imports this file. */

export function locationBody(code: string, options: { shipFrom?: boolean; kind?: string } = {}) {
  return {
    code,
    name: `Location ${code}`,
    kind: options.kind ?? 'store',
    address: { line1: `${code} street 1`, city: 'Athens', country: 'GR' },
    geo: { lat: 37.97, lng: 23.73 },
    capabilities: { shipFrom: options.shipFrom ?? true, pickup: true, acceptReturns: true },
  }
}

async function expectStatus(
  reply: Promise<{ statusCode: number; body: string }>,
  status: number,
  what: string,
) {
  const r = await reply
  if (r.statusCode !== status) throw new Error(`${what} answered ${r.statusCode}: ${r.body}`)
  return JSON.parse(r.body)
}

export async function createLocations(
  t: TestApp,
  ...locations: (string | { code: string; shipFrom?: boolean })[]
) {
  for (const l of locations) {
    const { code, ...options } = typeof l === 'string' ? { code: l } : l
    await expectStatus(
      t.call('POST', '/v1/locations', locationBody(code, options)),
      201,
      `location ${code}`,
    )
  }
}

/** A channel made through the API; answers its touchpoint key. */
export async function createChannel(
  t: TestApp,
  code: string,
  kind: string,
  body: Record<string, unknown> = {},
) {
  const created = await expectStatus(
    t.call('POST', '/v1/channels', { code, name: code, kind, ...body }),
    201,
    `channel ${code}`,
  )
  return created.apiKey as string
}

export function seedSkus(t: TestApp, ...skus: string[]) {
  return seedProducts(
    t.db,
    t.clock,
    skus.map((sku) => ({ sku })),
  )
}

export function move(
  t: TestApp,
  sku: string,
  location: string,
  kind: 'receipt' | 'adjustment' | 'count',
  quantity: number,
) {
  return expectStatus(
    t.call('POST', '/v1/inventory/movements', {
      sku,
      location,
      kind,
      quantity,
      reason: `test ${kind}`,
    }),
    201,
    `${kind} ${sku}@${location}`,
  )
}

export const receive = (t: TestApp, sku: string, location: string, quantity: number) =>
  move(t, sku, location, 'receipt', quantity)

export type LevelFacts = {
  sku: string
  location: string
  onHand: number
  reserved: number
  safetyStock: number
}

/** Every stock row with its ledger sum and its units held by active reservations. */
export async function reconcile(db: Kysely<any>) {
  const rows = await sql<LevelFacts & { ledger: number; held: number }>`
    select s.sku, s.location, s.on_hand as "onHand", s.reserved, s.safety_stock as "safetyStock",
      coalesce((select sum(e.quantity) from inventory.ledger_entry e
                where e.sku = s.sku and e.location = s.location), 0)::bigint as ledger,
      coalesce((select sum(l.quantity) from inventory.reservation_line l
                join inventory.reservation r on r.id = l.reservation_id
                where r.status = 'active' and l.sku = s.sku and l.location = s.location),
               0)::bigint as held
    from inventory.stock_level s order by s.sku, s.location`.execute(db)
  return rows.rows
}

/** Outbox events whose name starts with `prefix`, oldest first. */
export async function outboxEvents(db: Kysely<any>, prefix = 'inventory.') {
  const rows = await sql<{
    name: string
    payload: Record<string, unknown>
    channel: string | null
  }>`
    select name, payload, channel from kernel.outbox
    where name like ${`${prefix}%`} order by id`.execute(db)
  return rows.rows
}

/** Empties inventory's tables and the outbox, keeping locations, channels and products. */
export async function resetInventory(db: Kysely<any>) {
  await sql`truncate inventory.stock_level, inventory.ledger_entry, inventory.reservation,
    inventory.reservation_line, inventory.transfer, kernel.outbox restart identity`.execute(db)
}
