import { sql, type Kysely, type Transaction } from 'kysely'
import { createKey } from '../kernel/auth/index.js'
import type { Clock } from '../kernel/clock.js'
import { crossModule, inTransaction } from '../kernel/db/index.js'
import { createCategory, createProducts, setRelations } from '../modules/catalog/index.js'
import { createChannel } from '../modules/channels/index.js'
import { recordMovements, setStockSettings } from '../modules/inventory/index.js'
import { createLocation, listLocations } from '../modules/locations/index.js'
import { createPromotion } from '../modules/promotions/index.js'
import { setReturnPolicy } from '../modules/returns/index.js'
import { categories } from './assortment.js'
import { generateDemo, type DemoData } from './generate.js'
import { channels, locations, promotions, retailerName, returnPolicy, staff } from './retailer.js'

export type DemoKeys = {
  retailer: string
  note: string
  touchpoints: Record<string, { kind: string; location: string | null; apiKey: string }>
  staff: Record<string, { name: string; role: string; location: string | null; apiKey: string }>
}

export type DemoSummary = {
  locations: number
  channels: number
  products: number
  variants: number
  stockRows: number
  relations: number
  keys: DemoKeys
}

// Any constant works: it only has to be the same in every process that may load the demo.
const demoLock = 4_242_001

const actor = 'system:demo'

async function loadStructure(tx: Transaction<any>, clock: Clock): Promise<DemoKeys> {
  for (const location of locations) await createLocation(crossModule(tx), clock, location)
  await setReturnPolicy(crossModule(tx), clock, returnPolicy)
  const keys: DemoKeys = {
    retailer: retailerName,
    note: 'Demo API keys: send one as `Authorization: Bearer <apiKey>`. Each is shown only here.',
    touchpoints: {},
    staff: {},
  }
  for (const body of channels) {
    const channel = await createChannel(crossModule(tx), clock, body)
    keys.touchpoints[channel.code] = {
      kind: channel.kind,
      location: channel.location,
      apiKey: channel.apiKey,
    }
  }
  for (const member of staff) {
    const key = await createKey(crossModule(tx), clock, {
      kind: 'staff',
      role: member.role,
      name: member.name,
      location: member.location,
    })
    keys.staff[member.label] = {
      name: member.name,
      role: member.role,
      location: member.location,
      apiKey: key.apiKey,
    }
  }
  for (const category of categories) await createCategory(crossModule(tx), clock, category)
  for (const promotion of promotions) await createPromotion(crossModule(tx), clock, promotion)
  return keys
}

async function loadCatalog(tx: Transaction<any>, clock: Clock, data: DemoData): Promise<void> {
  const created = await createProducts(
    crossModule(tx),
    clock,
    data.products.map(({ handle: _handle, family: _family, ...body }) => body),
  )
  const idOf = new Map(data.products.map((p, i) => [p.handle, created[i]!.id]))
  const byProduct = new Map<
    string,
    { kind: (typeof data.relations)[number]['kind']; productId: string }[]
  >()
  for (const r of data.relations) {
    byProduct.set(r.from, [
      ...(byProduct.get(r.from) ?? []),
      { kind: r.kind, productId: idOf.get(r.to)! },
    ])
  }
  for (const [handle, relations] of byProduct) {
    await setRelations(crossModule(tx), clock, idOf.get(handle)!, { relations })
  }
}

async function loadStock(tx: Transaction<any>, clock: Clock, data: DemoData): Promise<void> {
  // Opening stock arrives as receipts; a shelf that is stocked but empty is a count of zero.
  await recordMovements(
    crossModule(tx),
    clock,
    actor,
    data.stock.map((s) =>
      s.quantity > 0
        ? {
            sku: s.sku,
            location: s.location,
            kind: 'receipt' as const,
            quantity: s.quantity,
            reason: 'opening stock',
          }
        : {
            sku: s.sku,
            location: s.location,
            kind: 'count' as const,
            quantity: 0,
            reason: 'sold out',
          },
    ),
  )
  await setStockSettings(crossModule(tx), clock, data.settings)
}

/**
 * Loads the demo retailer (see retailer.ts and assortment.ts) into an empty database, in one
 * transaction: a load that fails leaves nothing behind, so a later start tries again from
 * scratch. The emptiness check (no location yet) runs under a transaction-scoped advisory lock,
 * so two processes starting together on one PostgreSQL cannot both load it. Answers null,
 * writing nothing, when the database already has locations.
 */
export async function loadDemo(db: Kysely<any>, clock: Clock): Promise<DemoSummary | null> {
  const data = generateDemo()
  return inTransaction(db, async (tx) => {
    await sql`select pg_advisory_xact_lock(${demoLock})`.execute(tx)
    if ((await listLocations(crossModule(tx))).length > 0) return null
    const keys = await loadStructure(tx, clock)
    await loadCatalog(tx, clock, data)
    await loadStock(tx, clock, data)
    return {
      locations: locations.length,
      channels: channels.length,
      products: data.products.length,
      variants: data.products.reduce((n, p) => n + p.variants.length, 0),
      stockRows: data.stock.length,
      relations: data.relations.length,
      keys,
    }
  })
}
