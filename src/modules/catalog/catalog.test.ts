import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' })

const tee = {
  title: 'Linen tee',
  description: 'A **soft** linen T-shirt.',
  categories: ['tops'],
  images: ['https://cdn.example.com/tee.jpg'],
  attributes: { material: 'linen', organic: true },
  variants: [
    {
      sku: 'TEE-S',
      barcode: '5012345678900',
      options: { size: 'S', colour: 'sand' },
      weightGrams: 180,
      price: eur(2990),
    },
    {
      sku: 'TEE-M',
      barcode: '5012345678917',
      options: { size: 'M', colour: 'sand' },
      weightGrams: 190,
      price: eur(2990),
    },
  ],
}

const simple = (sku: string, title = `Product ${sku}`, extra: object = {}) => ({
  title,
  variants: [{ sku, price: eur(1000) }],
  ...extra,
})

describe.each(engines)('catalog over HTTP on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    await t.call('POST', '/v1/categories', { code: 'clothing', name: 'Clothing' })
    await t.call('POST', '/v1/categories', { code: 'tops', name: 'Tops', parent: 'clothing' })
    await t.call('POST', '/v1/categories', { code: 'home', name: 'Home' })
  })

  const count = async (table: string) =>
    Number(
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  const events = async (name: string) =>
    (await t.db
      .selectFrom('kernel.outbox')
      .selectAll()
      .where('name', '=', name)
      .orderBy('id')
      .execute()) as { payload: any }[]

  it('creates a product and finds it by id, SKU and barcode, with formatted prices', async () => {
    const created = await t.call('POST', '/v1/products', tee)
    expect(created.statusCode).toBe(201)
    const product = created.json()
    expect(product).toMatchObject({
      id: expect.stringMatching(/^prd_/),
      title: 'Linen tee',
      categories: ['tops'],
      attributes: { material: 'linen', organic: true },
      channels: null,
      relations: [],
    })
    expect(product.variants).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^var_/),
        sku: 'TEE-S',
        options: { size: 'S', colour: 'sand' },
        weightGrams: 180,
      }),
      expect.objectContaining({ sku: 'TEE-M', barcode: '5012345678917' }),
    ])
    expect(product.variants[0].prices).toEqual([
      { amount: 2990, currency: 'EUR', display: '29.90 EUR', source: 'base' },
    ])
    for (const url of [
      `/v1/products/${product.id}`,
      '/v1/products/by-sku/TEE-M',
      '/v1/products/by-barcode/5012345678900',
    ]) {
      const found = await t.call('GET', url)
      expect(found.statusCode).toBe(200)
      expect(found.json()).toEqual(product)
    }
    expect((await t.call('GET', '/v1/products/by-sku/NOPE')).statusCode).toBe(404)
    expect((await t.call('GET', '/v1/products/by-barcode/000')).statusCode).toBe(404)
    expect((await t.call('GET', '/v1/products/prd_missing')).json().type).toBe(
      'https://omnia.dev/problems/not-found',
    )
    const [event] = await events('catalog.product_created')
    expect(event!.payload).toMatchObject({
      productId: product.id,
      variants: [{ sku: 'TEE-S', price: eur(2990) }, { sku: 'TEE-M' }],
    })
    const audit = (
      await t.call('GET', `/v1/audit?resource=product&resourceId=${product.id}`)
    ).json().data
    expect(audit).toEqual([expect.objectContaining({ action: 'product.created' })])
  })

  it('keeps each currency in its own minor unit: rials have none, euros have cents', async () => {
    const rug = await t.call('POST', '/v1/products', {
      title: 'Tabriz rug',
      variants: [{ sku: 'RUG-1', price: { amount: 12_500_000, currency: 'IRR' } }],
    })
    expect(rug.json().variants[0].prices).toEqual([
      { amount: 12_500_000, currency: 'IRR', display: '12,500,000 IRR', source: 'base' },
    ])
    await t.call('PUT', '/v1/pricing/prices/RUG-1', {
      prices: [{ amount: 12_500_000, currency: 'IRR' }, eur(19_05)],
    })
    const prices = (await t.call('GET', '/v1/products/by-sku/RUG-1')).json().variants[0].prices
    expect(prices.map((p: { display: string }) => p.display)).toEqual([
      '19.05 EUR',
      '12,500,000 IRR',
    ])
  })

  it('refuses a taken SKU or barcode with 409 at the field path and writes nothing', async () => {
    await t.call('POST', '/v1/products', tee)
    const before = {
      products: await count('catalog.product'),
      prices: await count('pricing.price'),
      events: await count('kernel.outbox'),
    }
    const sku = await t.call('POST', '/v1/products', {
      title: 'Other',
      variants: [
        { sku: 'NEW-1', price: eur(1) },
        { sku: 'TEE-M', price: eur(1) },
      ],
    })
    expect(sku.statusCode).toBe(409)
    expect(sku.json()).toMatchObject({
      type: 'https://omnia.dev/problems/already-exists',
      errors: [{ path: 'variants.1.sku' }],
    })
    const barcode = await t.call('POST', '/v1/products', {
      title: 'Other',
      variants: [{ sku: 'NEW-2', barcode: '5012345678900', price: eur(1) }],
    })
    expect(barcode.statusCode).toBe(409)
    expect(barcode.json().errors).toEqual([
      { path: 'variants.0.barcode', message: '5012345678900 is taken' },
    ])
    const twice = await t.call('POST', '/v1/products', {
      title: 'Twice',
      variants: [
        { sku: 'X-1', price: eur(1) },
        { sku: 'X-1', price: eur(1) },
      ],
    })
    expect(twice.statusCode).toBe(400)
    expect(twice.json().errors).toEqual([expect.objectContaining({ path: 'variants.1.sku' })])
    expect({
      products: await count('catalog.product'),
      prices: await count('pricing.price'),
      events: await count('kernel.outbox'),
    }).toEqual(before)
    expect((await t.call('GET', '/v1/products/by-sku/NEW-1')).statusCode).toBe(404)
  })

  it('lets exactly one of several concurrent creators of a SKU win, and replays an idempotent retry', async () => {
    const racers = await Promise.all(
      [1, 2, 3].map((i) => t.call('POST', '/v1/products', simple('RACE', `Racer ${i}`))),
    )
    expect(racers.map((r) => r.statusCode).sort()).toEqual([201, 409, 409])
    expect(racers.find((r) => r.statusCode === 409)!.json().errors).toEqual([
      { path: 'variants.0.sku', message: 'RACE is taken' },
    ])
    expect(await count('catalog.product')).toBe(1)
    const headers = { 'idempotency-key': 'create-mug-1' }
    const first = await t.call('POST', '/v1/products', simple('MUG'), { headers })
    const again = await t.call('POST', '/v1/products', simple('MUG'), { headers })
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
    expect(await count('catalog.product')).toBe(2)
  })

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await t.call('GET', '/openapi.json', undefined, { key: null })).json()
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/products',
        '/v1/products/{id}',
        '/v1/products/by-sku/{sku}',
        '/v1/products/{id}/relations',
        '/v1/categories',
      ]),
    )
  })

  it('lists newest first in pages that neither repeat nor skip products', async () => {
    for (let i = 0; i < 7; i++) {
      await t.call('POST', '/v1/products', simple(`P-${i}`))
      t.clock.advance(1000)
    }
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await t.call('GET', `/v1/products?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode).toBe(200)
      const page: { data: { variants: { sku: string }[] }[]; nextCursor: string | null } =
        res.json()
      seen.push(...page.data.map((p) => p.variants[0]!.sku))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toEqual(['P-6', 'P-5', 'P-4', 'P-3', 'P-2', 'P-1', 'P-0'])
    const bad = await t.call('GET', '/v1/products?cursor=bm9wZQ')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].path).toBe('query.cursor')
  })

  it('searches titles, descriptions, SKUs and option values by word prefix, in any script', async () => {
    await t.call('POST', '/v1/products', tee)
    await t.call(
      'POST',
      '/v1/products',
      simple('MUG-1', 'Ceramic mug', { description: 'Holds tea' }),
    )
    await t.call('POST', '/v1/products', simple('FARSH-1', 'فرش دستباف تبریز'))
    const search = async (q: string) =>
      (await t.call('GET', `/v1/products?q=${encodeURIComponent(q)}`))
        .json()
        .data.map((p: { title: string }) => p.title)
    expect(await search('linen')).toEqual(['Linen tee'])
    expect(await search('cer MUG')).toEqual(['Ceramic mug'])
    expect(await search('soft')).toEqual(['Linen tee'])
    expect(await search('tee-m')).toEqual(['Linen tee'])
    expect(await search('sand')).toEqual(['Linen tee'])
    expect(await search('تبریز')).toEqual(['فرش دستباف تبریز'])
    expect(await search('tea')).toEqual(['Ceramic mug'])
    expect(await search('velvet')).toEqual([])
    const odd = await t.call('GET', `/v1/products?q=${encodeURIComponent("'&|!")}`)
    expect(odd.statusCode).toBe(400)
    expect(odd.json().errors[0].path).toBe('query.q')
  })

  it('filters by category (with its subcategories) and by update time', async () => {
    const shirt = (await t.call('POST', '/v1/products', tee)).json()
    await t.call('POST', '/v1/products', simple('VASE', 'Vase', { categories: ['home'] }))
    const titles = async (query: string) =>
      (await t.call('GET', `/v1/products?${query}`))
        .json()
        .data.map((p: { title: string }) => p.title)
    expect(await titles('category=clothing')).toEqual(['Linen tee'])
    expect(await titles('category=home')).toEqual(['Vase'])
    t.clock.advance(60_000)
    await t.call('PATCH', `/v1/products/${shirt.id}`, { title: 'Linen tee, sand' })
    expect(await titles(`updatedSince=${encodeURIComponent(t.clock.now().toISOString())}`)).toEqual(
      ['Linen tee, sand'],
    )
    expect(await titles('category=nothing')).toEqual([])
  })

  it('updates a product and its variants, appending catalog.product_updated', async () => {
    const product = (await t.call('POST', '/v1/products', tee)).json()
    const patched = await t.call('PATCH', `/v1/products/${product.id}`, {
      title: 'Linen tee 2',
      categories: ['clothing'],
      description: null,
    })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({
      title: 'Linen tee 2',
      categories: ['clothing'],
      description: null,
    })
    const added = await t.call('POST', `/v1/products/${product.id}/variants`, {
      variants: [{ sku: 'TEE-L', options: { size: 'L', colour: 'sand' }, price: eur(3190) }],
    })
    expect(added.statusCode).toBe(201)
    expect(added.json().variants.map((v: { sku: string }) => v.sku)).toEqual([
      'TEE-S',
      'TEE-M',
      'TEE-L',
    ])
    const changed = await t.call('PATCH', `/v1/products/${product.id}/variants/TEE-L`, {
      barcode: '5012345678924',
      weightGrams: 200,
    })
    expect(changed.json().variants[2]).toMatchObject({
      sku: 'TEE-L',
      barcode: '5012345678924',
      weightGrams: 200,
    })
    const clash = await t.call('PATCH', `/v1/products/${product.id}/variants/TEE-L`, {
      barcode: '5012345678900',
    })
    expect(clash.statusCode).toBe(409)
    expect(clash.json().errors).toEqual([{ path: 'barcode', message: '5012345678900 is taken' }])
    const takenSku = await t.call('POST', `/v1/products/${product.id}/variants`, {
      variants: [{ sku: 'TEE-S', price: eur(1) }],
    })
    expect(takenSku.statusCode).toBe(409)
    expect(takenSku.json().errors[0].path).toBe('variants.0.sku')
    expect(
      (await t.call('PATCH', `/v1/products/${product.id}/variants/NOPE`, { weightGrams: 1 }))
        .statusCode,
    ).toBe(404)
    expect((await t.call('PATCH', '/v1/products/prd_nope', { title: 'x' })).statusCode).toBe(404)
    expect((await t.call('GET', '/v1/products?q=linen')).json().data[0].variants).toHaveLength(3)
    const updates = await events('catalog.product_updated')
    expect(updates.map((e) => e.payload.changed)).toEqual([
      ['categories', 'description', 'title'],
      ['variants'],
      ['variants'],
    ])
    const audit = (
      await t.call('GET', `/v1/audit?resource=product&resourceId=${product.id}`)
    ).json().data
    expect(audit[0]).toMatchObject({ action: 'product.variant_updated' })
    expect(audit[0].before.variants[2].barcode).toBeNull()
    expect(audit[0].after.variants[2].barcode).toBe('5012345678924')
  })

  it('relates products so touchpoints can suggest add-ons, and refuses bad relations', async () => {
    const shirt = (await t.call('POST', '/v1/products', tee)).json()
    const belt = (await t.call('POST', '/v1/products', simple('BELT', 'Belt'))).json()
    const polo = (await t.call('POST', '/v1/products', simple('POLO', 'Polo'))).json()
    const set = await t.call('PUT', `/v1/products/${shirt.id}/relations`, {
      relations: [
        { kind: 'accessory', productId: belt.id },
        { kind: 'substitute', productId: polo.id },
      ],
    })
    expect(set.statusCode).toBe(200)
    expect(set.json().relations).toEqual([
      { kind: 'accessory', productId: belt.id, title: 'Belt' },
      { kind: 'substitute', productId: polo.id, title: 'Polo' },
    ])
    const bad = await t.call('PUT', `/v1/products/${shirt.id}/relations`, {
      relations: [
        { kind: 'complementary', productId: shirt.id },
        { kind: 'complementary', productId: 'prd_nope' },
      ],
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual([
      'relations.0.productId',
      'relations.1.productId',
    ])
    expect((await t.call('GET', `/v1/products/${shirt.id}`)).json().relations).toHaveLength(2)
    const cleared = await t.call('PUT', `/v1/products/${shirt.id}/relations`, { relations: [] })
    expect(cleared.json().relations).toEqual([])
  })

  it('shows a touchpoint only its assortment, at its channel prices', async () => {
    const web = (
      await t.call('POST', '/v1/channels', { code: 'web', name: 'Website', kind: 'web' })
    ).json()
    const app = (
      await t.call('POST', '/v1/channels', { code: 'app', name: 'App', kind: 'app' })
    ).json()
    const shirt = (await t.call('POST', '/v1/products', tee)).json()
    const belt = (await t.call('POST', '/v1/products', simple('BELT', 'Belt'))).json()
    await t.call('PUT', `/v1/products/${shirt.id}/relations`, {
      relations: [{ kind: 'accessory', productId: belt.id }],
    })
    const assorted = await t.call('PUT', `/v1/products/${belt.id}/channels`, { channels: ['web'] })
    expect(assorted.statusCode).toBe(200)
    expect(assorted.json().channels).toEqual(['web'])
    await t.call('PUT', '/v1/pricing/overrides/TEE-M/app', {
      price: eur(2490),
      reason: 'App launch offer',
    })

    const titles = async (key: string) =>
      (await t.call('GET', '/v1/products', undefined, { key }))
        .json()
        .data.map((p: { title: string }) => p.title)
    expect(await titles(web.apiKey)).toEqual(['Belt', 'Linen tee'])
    expect(await titles(app.apiKey)).toEqual(['Linen tee'])
    expect(
      (await t.call('GET', `/v1/products/${belt.id}`, undefined, { key: app.apiKey })).statusCode,
    ).toBe(404)
    expect(
      (await t.call('GET', '/v1/products/by-sku/BELT', undefined, { key: app.apiKey })).statusCode,
    ).toBe(404)
    expect(
      (await t.call('GET', `/v1/products/${belt.id}`, undefined, { key: web.apiKey })).statusCode,
    ).toBe(200)

    const asApp = (
      await t.call('GET', `/v1/products/${shirt.id}`, undefined, { key: app.apiKey })
    ).json()
    expect(asApp.relations).toEqual([])
    expect(
      asApp.variants.map((v: { prices: { amount: number; source: string }[] }) => v.prices[0]),
    ).toEqual([
      expect.objectContaining({ amount: 2990, source: 'base' }),
      expect.objectContaining({ amount: 2490, display: '24.90 EUR', source: 'override' }),
    ])
    const asWeb = (
      await t.call('GET', `/v1/products/${shirt.id}`, undefined, { key: web.apiKey })
    ).json()
    expect(asWeb.relations).toEqual([{ kind: 'accessory', productId: belt.id, title: 'Belt' }])
    expect(asWeb.variants[1].prices[0].amount).toBe(2990)
    const staffAsApp = (await t.call('GET', '/v1/products?channel=app')).json().data
    expect(staffAsApp.map((p: { title: string }) => p.title)).toEqual(['Linen tee'])
    const peeking = await t.call('GET', '/v1/products?channel=web', undefined, { key: app.apiKey })
    expect(peeking.statusCode).toBe(403)

    const unknown = await t.call('PUT', `/v1/products/${belt.id}/channels`, {
      channels: ['web', 'kiosk-9'],
    })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().errors).toEqual([{ path: 'channels.1', message: 'no channel kiosk-9' }])
    expect((await t.call('GET', `/v1/products/${belt.id}`)).json().channels).toEqual(['web'])
    await t.call('PUT', `/v1/products/${belt.id}/channels`, { channels: null })
    expect(await titles(app.apiKey)).toEqual(['Belt', 'Linen tee'])
  })

  it('lets touchpoints read the catalog but not change it', async () => {
    const kiosk = await t.touchpointKey('kiosk', 'kiosk-1')
    const refused = await t.call('POST', '/v1/products', tee, { key: kiosk })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().requiredScope).toBe('catalog:write')
    expect(
      (await t.call('GET', '/v1/categories', undefined, { key: kiosk }))
        .json()
        .data.map((c: { code: string }) => c.code),
    ).toEqual(['clothing', 'home', 'tops'])
    expect(await count('catalog.product')).toBe(0)
  })

  it('refuses a taken category code and an unknown parent', async () => {
    const again = await t.call('POST', '/v1/categories', { code: 'tops', name: 'Tops again' })
    expect(again.statusCode).toBe(409)
    expect(again.json().errors).toEqual([{ path: 'code', message: 'tops is taken' }])
    const orphan = await t.call('POST', '/v1/categories', {
      code: 'socks',
      name: 'Socks',
      parent: 'nope',
    })
    expect(orphan.statusCode).toBe(400)
    expect(orphan.json().errors).toEqual([{ path: 'parent', message: 'no category nope' }])
    const unknown = await t.call('POST', '/v1/products', { ...tee, categories: ['tops', 'nope'] })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().errors).toEqual([{ path: 'categories.1', message: 'no category nope' }])
    expect(await count('catalog.category')).toBe(3)
  })
})
