import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../test/support/app.js'
import { engines } from '../../test/support/engines.js'
import { loadConfig } from '../config.js'
import { handOver, placed, returnGoods } from '../modules/returns/testing.js'
import { generateDemo, loadDemoIfEmpty, type DemoKeys } from './index.js'

describe('the demo assortment', () => {
  it('is the same on every run and holds together', () => {
    const demo = generateDemo()
    expect(generateDemo()).toEqual(demo)
    expect(demo.products).toHaveLength(200)
    const skus = demo.products.flatMap((p) => p.variants.map((v) => v.sku))
    expect(new Set(skus).size).toBe(skus.length)
    const handles = new Set(demo.products.map((p) => p.handle))
    expect(
      demo.relations.every((r) => handles.has(r.from) && handles.has(r.to) && r.from !== r.to),
    ).toBe(true)
    expect(demo.stock.filter((s) => s.quantity === 0).length).toBeGreaterThan(100)
  })
})

describe.each(engines)('the demo retailer on %s', (engine) => {
  let t: TestApp
  let dataDir: string
  let keys: DemoKeys
  const demo = generateDemo()

  beforeAll(async () => {
    t = await startTestApp(engine)
    dataDir = mkdtempSync(join(tmpdir(), 'omnia-demo-'))
    const config = { ...loadConfig({}), dataDir }
    const summary = await loadDemoIfEmpty(t.db, t.clock, config, pino({ level: 'silent' }))
    keys = summary!.keys
  })
  afterAll(async () => {
    await t.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('has two warehouses, three stores and a quarantine with coordinates, and a channel for every touchpoint', async () => {
    const locations = (await t.call('GET', '/v1/locations')).json().data
    expect(
      locations.map((l: { code: string; kind: string }) => `${l.kind}:${l.code}`).sort(),
    ).toEqual([
      'store:store-athens',
      'store:store-tehran',
      'store:store-thessaloniki',
      'warehouse:quarantine',
      'warehouse:wh-piraeus',
      'warehouse:wh-tehran',
    ])
    expect(locations.every((l: { geo: { lat: number } }) => l.geo.lat > 30)).toBe(true)
    const channels = (await t.call('GET', '/v1/channels')).json().data
    expect(
      channels.map((c: { code: string; kind: string }) => `${c.kind}:${c.code}`).sort(),
    ).toEqual([
      'app:app',
      'callcenter:callcenter',
      'kiosk:kiosk-athens',
      'pos:pos-athens',
      'pos:pos-tehran',
      'pos:pos-thessaloniki',
      'social:instagram',
      'web:web',
    ])
  })

  it('writes working keys for every touchpoint and staff role to a file only its owner can read', async () => {
    const file = join(dataDir, 'demo-keys.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(keys)
    expect(Object.keys(keys.staff).sort()).toEqual([
      'admin',
      'agent',
      'analyst',
      'clerk-athens',
      'clerk-tehran',
      'clerk-thessaloniki',
      'manager',
      'marketer',
    ])
    const asPos = await t.call('GET', '/v1/products?limit=1', undefined, {
      key: keys.touchpoints['pos-athens']!.apiKey,
    })
    expect(asPos.statusCode).toBe(200)
    const asClerk = await t.call('GET', '/v1/locations/store-tehran', undefined, {
      key: keys.staff['clerk-tehran']!.apiKey,
    })
    expect(asClerk.statusCode).toBe(200)
    const asAdmin = await t.call('GET', '/v1/keys', undefined, { key: keys.staff.admin!.apiKey })
    expect(asAdmin.json().data.length).toBeGreaterThanOrEqual(16)
  })

  it('sells about two hundred products with sizes, colours, EUR prices, categories and relations', async () => {
    let count = 0
    let cursor: string | null = null
    do {
      const page: { data: unknown[]; nextCursor: string | null } = (
        await t.call('GET', `/v1/products?limit=200${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()
      count += page.data.length
      cursor = page.nextCursor
    } while (cursor)
    expect(count).toBe(200)

    const first = demo.products[0]!
    const product = (await t.call('GET', `/v1/products/by-sku/${first.variants[0]!.sku}`)).json()
    expect(product).toMatchObject({ title: first.title, categories: first.categories })
    expect(product.variants).toHaveLength(first.variants.length)
    expect(product.variants[0]).toMatchObject({
      options: first.variants[0]!.options,
      prices: [
        expect.objectContaining({ currency: 'EUR', amount: first.variants[0]!.price.amount }),
      ],
    })
    const kinds = new Set(product.relations.map((r: { kind: string }) => r.kind))
    expect(kinds).toEqual(new Set(['substitute', 'complementary', 'accessory']))
    const dresses = (await t.call('GET', '/v1/products?category=women&limit=200')).json().data
    expect(dresses.length).toBe(56)
  })

  it('has stock that is the sum of its ledger, some of it low and some sold out', async () => {
    const mismatches = await sql<{ n: number }>`
      select count(*)::int as n from inventory.stock_level s
      full join (select sku, location, sum(quantity) as total from inventory.ledger_entry group by sku, location) l
        on l.sku = s.sku and l.location = s.location
      where coalesce(s.on_hand, -1) <> coalesce(l.total, -1)`.execute(t.db)
    expect(mismatches.rows[0]!.n).toBe(0)

    const sample = demo.stock.find((s) => s.location === 'store-athens' && s.quantity === 0)!
    const stock = (await t.call('GET', `/v1/inventory/${sample.sku}`)).json()
    expect(
      stock.locations.find((l: { location: string }) => l.location === 'store-athens'),
    ).toMatchObject({ onHand: 0, lowStockThreshold: 3 })
    const full = demo.stock.filter((s) => s.sku === sample.sku)
    for (const s of full) {
      expect(
        stock.locations.find((l: { location: string }) => l.location === s.location)?.onHand,
      ).toBe(s.quantity)
    }
  })

  it('runs a knitwear sale and a welcome coupon that a web cart shows', async () => {
    const web = keys.touchpoints.web!.apiKey
    const names = (await t.call('GET', '/v1/promotions')).json().data.map((p: { name: string }) => p.name)
    expect(names.sort()).toEqual(['Knitwear week: 15% off', 'Welcome: 10 EUR off an order of 60 EUR or more'])
    const stocked = new Set(demo.stock.filter((s) => s.location === 'wh-piraeus' && s.quantity > 2).map((s) => s.sku))
    const knit = demo.products
      .filter((p) => p.categories.some((c) => c.endsWith('-knitwear')))
      .flatMap((p) => p.variants)
      .find((v) => stocked.has(v.sku) && v.price.currency === 'EUR' && v.price.amount >= 3000)!
    const cart = (await t.call('POST', '/v1/carts', { anonymousId: 'demo-visitor' }, { key: web })).json()
    await t.call('POST', `/v1/carts/${cart.id}/lines`, { sku: knit.sku, quantity: 2 }, { key: web })
    const withCoupon = (await t.call('PUT', `/v1/carts/${cart.id}/coupon`, { code: 'welcome10' }, { key: web })).json()
    const knitwear = Math.round(knit.price.amount * 2 * 0.15)
    // The coupon is for one use per customer: an anonymous visitor is told to identify first.
    expect(withCoupon).toMatchObject({
      coupon: { code: 'WELCOME10', applied: false, reason: 'customer-required' },
      discount: { amount: knitwear, currency: 'EUR' },
    })
    const named = (
      await t.call('POST', `/v1/carts/${cart.id}/identify`, { identities: [{ kind: 'email', value: 'demo@example.com' }] }, { key: web })
    ).json()
    expect(named).toMatchObject({ coupon: { applied: true }, discount: { amount: knitwear + 1000, currency: 'EUR' } })
  })

  it('takes a damaged item back at a till into the quarantine, where it is never sold', async () => {
    const policy = (await t.call('GET', '/v1/return-policy')).json()
    expect(policy).toMatchObject({ quarantineLocation: 'quarantine', quarantineConditions: ['damaged'] })
    const jewellery = new Set(
      demo.products
        .filter((p) => p.categories.includes('jewellery'))
        .flatMap((p) => p.variants.map((v) => v.sku)),
    )
    const { sku } = demo.stock.find(
      (s) => s.location === 'store-athens' && s.quantity >= 3 && !jewellery.has(s.sku),
    )!
    const order = await handOver(
      t,
      await placed(t, keys.touchpoints['pos-athens']!.apiKey, {
        customer: { email: 'nikos@example.com', name: 'Nikos' },
        lines: [{ sku, quantity: 1 }],
        fulfillment: { method: 'pickup', location: 'store-athens' },
        payment: { method: 'in_store' },
      }),
    )
    const res = await returnGoods(t, keys.staff['clerk-athens']!.apiKey, {
      orderId: order.id,
      lines: [{ sku, quantity: 1, reason: 'torn seam', condition: 'damaged' }],
      location: 'store-athens',
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({
      lines: [{ disposition: 'quarantined', location: 'quarantine' }],
      refund: { method: 'cash', status: 'refunded' },
    })
    const stock = (await t.call('GET', `/v1/inventory/${sku}`)).json()
    expect(
      stock.locations.find((l: { location: string }) => l.location === 'quarantine'),
    ).toMatchObject({ onHand: 1, available: 0 })
  })

  it('does not load twice', async () => {
    const again = await loadDemoIfEmpty(
      t.db,
      t.clock,
      { ...loadConfig({}), dataDir },
      pino({ level: 'silent' }),
    )
    expect(again).toBeNull()
    expect((await t.call('GET', '/v1/locations')).json().data).toHaveLength(6)
    expect((await t.call('GET', '/v1/channels')).json().data).toHaveLength(8)
  })
})
