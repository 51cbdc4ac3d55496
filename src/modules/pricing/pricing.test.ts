import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { seedProducts } from '../catalog/testing.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' as const })

describe.each(engines)('one price book on %s', (engine) => {
  let t: TestApp
  let web: { apiKey: string }
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    web = (
      await t.call('POST', '/v1/channels', { code: 'web', name: 'Website', kind: 'web' })
    ).json()
    await t.call('POST', '/v1/channels', { code: 'app', name: 'App', kind: 'app' })
    await seedProducts(t.db, t.clock, [{ sku: 'TEE-M', price: eur(2990) }, { sku: 'MUG' }])
  })

  const report = async (query = '') =>
    (await t.call('GET', `/v1/pricing/consistency${query}`)).json()
  const events = async () =>
    (
      (await t.db
        .selectFrom('kernel.outbox')
        .selectAll()
        .where('name', '=', 'pricing.price_changed')
        .orderBy('id')
        .execute()) as { payload: any }[]
    ).map((e) => e.payload)

  it('sets base prices per currency, appending pricing.price_changed for each change', async () => {
    const set = await t.call('PUT', '/v1/pricing/prices/TEE-M', {
      prices: [eur(3190), { amount: 1_500_000, currency: 'IRR' }],
    })
    expect(set.statusCode).toBe(200)
    expect(set.json().prices).toEqual([
      { amount: 3190, currency: 'EUR', display: '31.90 EUR', source: 'base' },
      { amount: 1_500_000, currency: 'IRR', display: '1,500,000 IRR', source: 'base' },
    ])
    expect(await events()).toEqual([
      { sku: 'TEE-M', currency: 'EUR', priceChannel: null, before: 2990, after: 3190 },
      { sku: 'TEE-M', currency: 'IRR', priceChannel: null, before: null, after: 1_500_000 },
    ])
    await t.call('PUT', '/v1/pricing/prices/TEE-M', {
      prices: [{ amount: 1_500_000, currency: 'IRR' }],
    })
    expect(
      (await t.call('GET', '/v1/pricing/prices/TEE-M'))
        .json()
        .prices.map((p: { currency: string }) => p.currency),
    ).toEqual(['IRR'])
    expect((await events()).at(-1)).toEqual({
      sku: 'TEE-M',
      currency: 'EUR',
      priceChannel: null,
      before: 3190,
      after: null,
    })
    expect((await t.call('GET', '/v1/pricing/prices/NOPE')).statusCode).toBe(404)
    expect((await t.call('PUT', '/v1/pricing/prices/NOPE', { prices: [eur(1)] })).statusCode).toBe(
      404,
    )
    const audit = (await t.call('GET', '/v1/audit?resource=price&resourceId=TEE-M')).json().data
    expect(audit[1]).toMatchObject({
      action: 'price.set',
      before: [{ amount: 2990 }],
      after: [{ amount: 3190 }, { amount: 1_500_000 }],
    })
  })

  it('lists a SKU in the consistency report while a channel overrides it, and clears it on removal', async () => {
    expect(await report()).toEqual({ data: [], nextCursor: null })
    const manager = await t.staffKey('manager')
    const set = await t.call(
      'PUT',
      '/v1/pricing/overrides/TEE-M/web',
      { price: eur(2490), reason: 'Web-only summer sale' },
      { key: manager },
    )
    expect(set.statusCode).toBe(200)
    expect(set.json()).toMatchObject({
      channel: 'web',
      amount: 2490,
      baseAmount: 2990,
      display: '24.90 EUR',
      setBy: 'manager:test manager',
    })
    await t.call('PUT', '/v1/pricing/overrides/MUG/app', {
      price: eur(1000),
      reason: 'Same as base, on purpose',
    })
    const listed = await report()
    expect(listed.data).toEqual([
      {
        sku: 'TEE-M',
        currency: 'EUR',
        base: { amount: 2990, currency: 'EUR', display: '29.90 EUR', source: 'base' },
        overrides: [
          expect.objectContaining({ channel: 'web', amount: 2490, reason: 'Web-only summer sale' }),
        ],
      },
    ])
    const asWeb = (
      await t.call('GET', '/v1/pricing/prices/TEE-M', undefined, { key: web.apiKey })
    ).json()
    expect(asWeb.effective).toEqual([
      { amount: 2490, currency: 'EUR', display: '24.90 EUR', source: 'override' },
    ])
    expect(
      (await t.call('GET', '/v1/pricing/prices/TEE-M?channel=app')).json().effective[0].source,
    ).toBe('base')
    const audit = (
      await t.call('GET', '/v1/audit?resource=price_override&resourceId=TEE-M/web')
    ).json().data
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'price_override.set',
        before: null,
        after: expect.objectContaining({ reason: 'Web-only summer sale' }),
      }),
    ])

    const removed = await t.call('DELETE', '/v1/pricing/overrides/TEE-M/web', undefined, {
      key: manager,
    })
    expect(removed.statusCode).toBe(200)
    expect(removed.json().overrides).toEqual([])
    expect(await report()).toEqual({ data: [], nextCursor: null })
    expect((await t.call('DELETE', '/v1/pricing/overrides/TEE-M/web')).statusCode).toBe(404)
    expect(await events()).toEqual([
      {
        sku: 'TEE-M',
        currency: 'EUR',
        priceChannel: 'web',
        before: 2990,
        after: 2490,
        reason: 'Web-only summer sale',
      },
      {
        sku: 'TEE-M',
        currency: 'EUR',
        priceChannel: 'web',
        before: 2490,
        after: 2990,
        reason: 'override removed',
      },
    ])
  })

  it('refuses overrides from touchpoints and clerks, writing nothing', async () => {
    const clerk = await t.staffKey('clerk')
    for (const key of [web.apiKey, clerk]) {
      const res = await t.call(
        'PUT',
        '/v1/pricing/overrides/TEE-M/web',
        { price: eur(1), reason: 'cheaper for me' },
        { key },
      )
      expect(res.statusCode).toBe(403)
      expect(res.json()).toMatchObject({
        type: 'https://omnia.dev/problems/forbidden',
        requiredScope: 'pricing:write',
      })
      expect(
        (await t.call('PUT', '/v1/pricing/prices/TEE-M', { prices: [eur(1)] }, { key })).statusCode,
      ).toBe(403)
    }
    expect((await t.call('GET', '/v1/pricing/prices/TEE-M')).json()).toMatchObject({
      prices: [{ amount: 2990 }],
      overrides: [],
    })
    expect(await events()).toEqual([])
  })

  it('keeps overrides tied to a base price and to real channels', async () => {
    const noBase = await t.call('PUT', '/v1/pricing/overrides/TEE-M/web', {
      price: { amount: 900, currency: 'USD' },
      reason: 'US visitors',
    })
    expect(noBase.statusCode).toBe(400)
    expect(noBase.json().errors).toEqual([
      { path: 'price.currency', message: 'TEE-M has no base price in USD; set one first' },
    ])
    const noChannel = await t.call('PUT', '/v1/pricing/overrides/TEE-M/tiktok', {
      price: eur(900),
      reason: 'Launch',
    })
    expect(noChannel.statusCode).toBe(400)
    expect(noChannel.json().errors).toEqual([
      { path: 'params.channel', message: 'no channel tiktok' },
    ])
    expect(
      (await t.call('PUT', '/v1/pricing/overrides/NOPE/web', { price: eur(900), reason: 'Launch' }))
        .statusCode,
    ).toBe(404)
    await t.call('PUT', '/v1/pricing/overrides/TEE-M/web', { price: eur(2000), reason: 'Launch' })
    const drop = await t.call('PUT', '/v1/pricing/prices/TEE-M', {
      prices: [{ amount: 10, currency: 'USD' }],
    })
    expect(drop.statusCode).toBe(400)
    expect(drop.json().errors[0].path).toBe('prices')
    expect((await t.call('GET', '/v1/pricing/prices/TEE-M')).json().prices).toEqual([
      expect.objectContaining({ amount: 2990, currency: 'EUR' }),
    ])
  })

  it('pages the consistency report by SKU and filters it by channel', async () => {
    await seedProducts(t.db, t.clock, [{ sku: 'A' }, { sku: 'B' }, { sku: 'C' }])
    for (const sku of ['C', 'A', 'B'])
      await t.call('PUT', `/v1/pricing/overrides/${sku}/web`, {
        price: eur(1),
        reason: 'clearance',
      })
    await t.call('PUT', '/v1/pricing/overrides/B/app', { price: eur(2), reason: 'app promo' })
    const first = await report('?limit=2')
    expect(first.data.map((e: { sku: string }) => e.sku)).toEqual(['A', 'B'])
    expect(first.data[1].overrides.map((o: { channel: string }) => o.channel)).toEqual([
      'app',
      'web',
    ])
    const second = await report(`?limit=2&cursor=${first.nextCursor}`)
    expect(second).toMatchObject({ data: [{ sku: 'C' }], nextCursor: null })
    expect((await report('?channel=app')).data.map((e: { sku: string }) => e.sku)).toEqual(['B'])
  })

  it('reports exactly the SKUs some channel pays differently from the base price', async () => {
    const skus = ['S0', 'S1', 'S2', 'S3']
    const channels = ['app', 'web']
    await seedProducts(
      t.db,
      t.clock,
      skus.map((sku) => ({ sku, price: eur(100) })),
    )
    const override = fc.record({
      sku: fc.constantFrom(...skus),
      channel: fc.constantFrom(...channels),
      amount: fc.integer({ min: 98, max: 102 }),
      remove: fc.boolean(),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(override, { maxLength: 12 }), async (changes) => {
        await t.db.deleteFrom('pricing.price_override').execute()
        const state = new Map<string, number>()
        for (const c of changes) {
          const key = `${c.sku}/${c.channel}`
          if (c.remove) {
            const res = await t.call('DELETE', `/v1/pricing/overrides/${key}`)
            expect(res.statusCode).toBe(state.has(key) ? 200 : 404)
            state.delete(key)
          } else {
            const res = await t.call('PUT', `/v1/pricing/overrides/${key}`, {
              price: eur(c.amount),
              reason: 'property',
            })
            expect(res.statusCode).toBe(200)
            state.set(key, c.amount)
          }
        }
        const expected = [
          ...new Set(
            [...state].filter(([, amount]) => amount !== 100).map(([key]) => key.split('/')[0]),
          ),
        ].sort()
        const listed = (await report('?limit=200')).data
        expect(listed.map((e: { sku: string }) => e.sku)).toEqual(expected)
        for (const entry of listed) {
          const differing = channels.filter(
            (ch) => (state.get(`${entry.sku}/${ch}`) ?? 100) !== 100,
          )
          expect(entry.overrides.map((o: { channel: string }) => o.channel)).toEqual(differing)
        }
      }),
      { numRuns: 15 },
    )
  })
})
