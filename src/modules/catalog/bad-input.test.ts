import { afterAll, beforeAll, describe, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { expectRefusedWithoutWrites, type BadRequest } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'

type Case = BadRequest

const eur = (amount: unknown) => ({ amount, currency: 'EUR' })
const variant = (over: object = {}) => ({ sku: 'NEW-1', price: eur(100), ...over })
const product = (over: object = {}) => ({ title: 'New', variants: [variant()], ...over })

// Each body breaks one rule; the problem must name every listed path (paths [] = malformed JSON).
const cases = (id: string): Case[] => [
  ['malformed JSON', 'POST', '/v1/products', '{"title": "x",', []],
  ['an empty body', 'POST', '/v1/products', {}, ['title', 'variants']],
  ['a number for the title', 'POST', '/v1/products', product({ title: 5 }), ['title']],
  ['no variants', 'POST', '/v1/products', product({ variants: [] }), ['variants']],
  [
    'a fractional amount',
    'POST',
    '/v1/products',
    product({ variants: [variant({ price: eur(10.5) })] }),
    ['variants.0.price.amount'],
  ],
  [
    'a negative amount',
    'POST',
    '/v1/products',
    product({ variants: [variant({ price: eur(-1) })] }),
    ['variants.0.price.amount'],
  ],
  [
    'an amount as a string',
    'POST',
    '/v1/products',
    product({ variants: [variant({ price: eur('100') })] }),
    ['variants.0.price.amount'],
  ],
  [
    'an unsafe amount',
    'POST',
    '/v1/products',
    product({ variants: [variant({ price: eur(2 ** 60) })] }),
    ['variants.0.price.amount'],
  ],
  [
    'a price as a float',
    'POST',
    '/v1/products',
    product({ variants: [variant({ price: 19.9 })] }),
    ['variants.0.price'],
  ],
  [
    'an unknown currency',
    'POST',
    '/v1/products',
    product({ variants: [variant({ price: { amount: 1, currency: 'EURO' } })] }),
    ['variants.0.price.currency'],
  ],
  [
    'a missing price',
    'POST',
    '/v1/products',
    product({ variants: [{ sku: 'NEW-1' }] }),
    ['variants.0.price'],
  ],
  [
    'unknown fields',
    'POST',
    '/v1/products',
    product({ colour: 'red', variants: [variant({ size: 'M' })] }),
    ['colour', 'variants.0.size'],
  ],
  [
    'a SKU with a slash',
    'POST',
    '/v1/products',
    product({ variants: [variant({ sku: 'TEE/M' })] }),
    ['variants.0.sku'],
  ],
  [
    'a non-http image',
    'POST',
    '/v1/products',
    product({ images: ['ftp://cdn/x.jpg'] }),
    ['images.0'],
  ],
  [
    'a numeric option value',
    'POST',
    '/v1/products',
    product({ variants: [variant({ options: { size: 5 } })] }),
    ['variants.0.options.size'],
  ],
  [
    'a fractional weight',
    'POST',
    '/v1/products',
    product({ variants: [variant({ weightGrams: 1.5 })] }),
    ['variants.0.weightGrams'],
  ],
  [
    'a malformed category code',
    'POST',
    '/v1/products',
    product({ categories: ['Bad Code'] }),
    ['categories.0'],
  ],
  [
    'an unknown category',
    'POST',
    '/v1/products',
    product({ categories: ['shoes'] }),
    ['categories.0'],
  ],
  ['an empty title', 'PATCH', `/v1/products/${id}`, { title: '' }, ['title']],
  ['a price in a product patch', 'PATCH', `/v1/products/${id}`, { price: eur(1) }, ['price']],
  [
    'an unknown category in a patch',
    'PATCH',
    `/v1/products/${id}`,
    { categories: ['shoes'] },
    ['categories.0'],
  ],
  ['malformed JSON in a patch', 'PATCH', `/v1/products/${id}`, '{', []],
  ['no variants to add', 'POST', `/v1/products/${id}/variants`, {}, ['variants']],
  [
    'a float price on a new variant',
    'POST',
    `/v1/products/${id}/variants`,
    { variants: [variant({ price: eur(0.5) })] },
    ['variants.0.price.amount'],
  ],
  [
    'a negative weight',
    'PATCH',
    `/v1/products/${id}/variants/OLD-1`,
    { weightGrams: -1 },
    ['weightGrams'],
  ],
  [
    'a price in a variant patch',
    'PATCH',
    `/v1/products/${id}/variants/OLD-1`,
    { price: eur(1) },
    ['price'],
  ],
  [
    'an unknown relation kind',
    'PUT',
    `/v1/products/${id}/relations`,
    { relations: [{ kind: 'cousin', productId: id }] },
    ['relations.0.kind'],
  ],
  ['a missing relation list', 'PUT', `/v1/products/${id}/relations`, {}, ['relations']],
  [
    'a relation to nothing',
    'PUT',
    `/v1/products/${id}/relations`,
    { relations: [{ kind: 'accessory', productId: 'prd_nope' }] },
    ['relations.0.productId'],
  ],
  [
    'an unknown channel code',
    'PUT',
    `/v1/products/${id}/channels`,
    { channels: ['web', 'nope'] },
    ['channels.1'],
  ],
  [
    'a channel list as a string',
    'PUT',
    `/v1/products/${id}/channels`,
    { channels: 'web' },
    ['channels'],
  ],
  ['a missing channel list', 'PUT', `/v1/products/${id}/channels`, {}, ['channels']],
  ['a category code with spaces', 'POST', '/v1/categories', { code: 'a b', name: 'x' }, ['code']],
  ['a category without a name', 'POST', '/v1/categories', { code: 'ab' }, ['name']],
  [
    'an unknown category field',
    'POST',
    '/v1/categories',
    { code: 'ab', name: 'x', colour: 1 },
    ['colour'],
  ],
  [
    'an unknown parent',
    'POST',
    '/v1/categories',
    { code: 'ab', name: 'x', parent: 'zz' },
    ['parent'],
  ],
  ['a zero limit', 'GET', '/v1/products?limit=0', undefined, ['query.limit']],
  ['a word for a limit', 'GET', '/v1/products?limit=many', undefined, ['query.limit']],
  [
    'a bad updatedSince',
    'GET',
    '/v1/products?updatedSince=yesterday',
    undefined,
    ['query.updatedSince'],
  ],
  ['an unknown channel filter', 'GET', '/v1/products?channel=nope', undefined, ['query.channel']],
  ['an unknown query parameter', 'GET', '/v1/products?colour=red', undefined, ['query.colour']],
  ['a forged cursor', 'GET', '/v1/products?cursor=WyJ4Il0', undefined, ['query.cursor']],
  ['a SKU with a space', 'GET', '/v1/products/by-sku/a%20b', undefined, ['params.sku']],
]

const tables = [
  'catalog.category',
  'catalog.product',
  'catalog.variant',
  'catalog.product_relation',
  'pricing.price',
  'kernel.outbox',
  'access.audit_log',
]

describe.each(engines)('catalog refuses bad input on %s', (engine) => {
  let t: TestApp
  let id: string
  beforeAll(async () => {
    t = await startTestApp(engine)
    await t.call('POST', '/v1/channels', { code: 'web', name: 'Website', kind: 'web' })
    id = (
      await t.call('POST', '/v1/products', {
        title: 'Old',
        variants: [{ sku: 'OLD-1', price: eur(100) }],
      })
    ).json().id
  })
  afterAll(() => t.close())

  it('answers every bad request with 400 problem+json naming the fields, and writes nothing', () => expectRefusedWithoutWrites(t, cases(id), tables))
})
