import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { fixedClock } from '../../kernel/clock.js'
import { inTransaction } from '../../kernel/db/index.js'
import { effectivePrices } from '../pricing/index.js'
import {
  assertSkusExist,
  createProduct,
  createProducts,
  ProductCreated,
  variantsBySku,
} from './index.js'
import { seedProducts } from './testing.js'

describe.each(engines)('catalog services on %s', (engine) => {
  let database: TestDatabase
  const clock = fixedClock('2026-03-01T10:00:00Z')
  beforeAll(async () => {
    database = await openTestDatabase(engine, 2)
  })
  afterAll(() => database.close())
  beforeEach(() => database.reset())

  it('seeds products whose SKUs then exist, and names each unknown SKU at its path', async () => {
    const [tee] = await seedProducts(database.db, clock, [
      { sku: 'TEE-M' },
      { sku: 'MUG', price: { amount: 12_500_000, currency: 'IRR' } },
    ])
    expect(tee!.variants[0]!.prices).toEqual([
      { amount: 1000, currency: 'EUR', display: '10.00 EUR', source: 'base' },
    ])
    await inTransaction(database.db, (tx) =>
      assertSkusExist(tx, [{ sku: 'TEE-M', path: 'lines.0.sku' }]),
    )
    const refused = inTransaction(database.db, (tx) =>
      assertSkusExist(tx, [
        { sku: 'MUG', path: 'lines.0.sku' },
        { sku: 'NOPE', path: 'lines.1.sku' },
        { sku: 'GONE', path: 'lines.2.sku' },
      ]),
    )
    await expect(refused).rejects.toMatchObject({
      kind: 'validation-failed',
      members: {
        errors: [
          { path: 'lines.1.sku', message: 'no SKU NOPE' },
          { path: 'lines.2.sku', message: 'no SKU GONE' },
        ],
      },
    })
  })

  it('imports a thousand products with their variants in one batch', async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => ({
      title: `Item ${i}`,
      variants: [
        {
          sku: `IMP-${i}-S`,
          barcode: `B${i}S`,
          options: { size: 'S' },
          price: { amount: 100 + i, currency: 'EUR' as const },
        },
        {
          sku: `IMP-${i}-L`,
          options: { size: 'L' },
          price: { amount: 200 + i, currency: 'EUR' as const },
        },
      ],
    }))
    const views = await inTransaction(database.db, (tx) => createProducts(tx, clock, inputs))
    expect(views).toHaveLength(1000)
    expect(views[999]!.variants.map((v) => v.sku)).toEqual(['IMP-999-S', 'IMP-999-L'])
    const { count } = await database.db
      .selectFrom('catalog.variant')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow()
    expect(Number(count)).toBe(2000)
  })

  it('writes nothing when one SKU of a batch is taken, naming it by batch path', async () => {
    await seedProducts(database.db, clock, [{ sku: 'TAKEN' }])
    const batch = inTransaction(database.db, (tx) =>
      createProducts(tx, clock, [
        { title: 'A', variants: [{ sku: 'A-1', price: { amount: 1, currency: 'EUR' } }] },
        {
          title: 'B',
          variants: [
            { sku: 'B-1', price: { amount: 1, currency: 'EUR' } },
            { sku: 'TAKEN', price: { amount: 1, currency: 'EUR' } },
          ],
        },
      ]),
    )
    await expect(batch).rejects.toMatchObject({
      kind: 'already-exists',
      members: { errors: [{ path: '1.variants.1.sku' }] },
    })
    const skus = await database.db.selectFrom('catalog.variant').select('sku').execute()
    expect(skus.map((r) => r.sku)).toEqual(['TAKEN'])
    const single = inTransaction(database.db, (tx) =>
      createProduct(tx, clock, {
        title: 'C',
        variants: [{ sku: 'TAKEN', price: { amount: 1, currency: 'EUR' } }],
      }),
    )
    await expect(single).rejects.toMatchObject({
      members: { errors: [{ path: 'variants.0.sku', message: 'TAKEN is taken' }] },
    })
  })

  it('summarises the variants a channel sells, and announces new products with their prices', async () => {
    const [tee, mug] = await seedProducts(database.db, clock, [
      { sku: 'TEE-M', title: 'Tee' },
      { sku: 'MUG', title: 'Mug', price: { amount: 12_500_000, currency: 'IRR' } },
    ])
    await database.db
      .updateTable('catalog.product')
      .set({ channels: ['web'] })
      .where('id', '=', mug!.id)
      .execute()
    const asApp = await inTransaction(database.db, (tx) =>
      variantsBySku(tx, ['TEE-M', 'MUG', 'NOPE'], 'app'),
    )
    expect([...asApp.keys()]).toEqual(['TEE-M'])
    expect(asApp.get('TEE-M')).toMatchObject({ productId: tee!.id, title: 'Tee', options: {} })
    const asWeb = await inTransaction(database.db, (tx) =>
      variantsBySku(tx, ['TEE-M', 'MUG'], 'web'),
    )
    expect([...asWeb.keys()].sort()).toEqual(['MUG', 'TEE-M'])
    const prices = await inTransaction(database.db, (tx) =>
      effectivePrices(tx, ['MUG', 'TEE-M'], 'web', 'IRR'),
    )
    expect(prices).toEqual([
      { sku: 'MUG', currency: 'IRR', amount: 12_500_000, baseAmount: 12_500_000, source: 'base' },
    ])
    const events = await database.db.selectFrom('kernel.outbox').selectAll().orderBy('id').execute()
    expect(events.map((e) => ProductCreated.parse(e.payload).variants[0]!.sku)).toEqual([
      'TEE-M',
      'MUG',
    ])
  })
})
