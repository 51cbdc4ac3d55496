import { afterAll, beforeAll, describe, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { expectRefusedWithoutWrites, type BadRequest } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'
import { seedProducts } from '../catalog/testing.js'

type Case = BadRequest

const eur = (amount: unknown) => ({ amount, currency: 'EUR' })
const override = (over: object = {}) => ({ price: eur(900), reason: 'Launch offer', ...over })

// Each request breaks one rule; the problem must name every listed path (paths [] = malformed JSON).
const cases: Case[] = [
  ['malformed JSON', 'PUT', '/v1/pricing/prices/TEE-M', '{"prices": [', []],
  ['no prices', 'PUT', '/v1/pricing/prices/TEE-M', { prices: [] }, ['prices']],
  ['a missing price list', 'PUT', '/v1/pricing/prices/TEE-M', {}, ['prices']],
  [
    'a fractional amount',
    'PUT',
    '/v1/pricing/prices/TEE-M',
    { prices: [eur(19.9)] },
    ['prices.0.amount'],
  ],
  [
    'a negative amount',
    'PUT',
    '/v1/pricing/prices/TEE-M',
    { prices: [eur(-5)] },
    ['prices.0.amount'],
  ],
  [
    'an amount as a string',
    'PUT',
    '/v1/pricing/prices/TEE-M',
    { prices: [eur('5')] },
    ['prices.0.amount'],
  ],
  ['a bare number for money', 'PUT', '/v1/pricing/prices/TEE-M', { prices: [19.9] }, ['prices.0']],
  [
    'an unknown currency',
    'PUT',
    '/v1/pricing/prices/TEE-M',
    { prices: [{ amount: 5, currency: 'XBT' }] },
    ['prices.0.currency'],
  ],
  [
    'a currency twice',
    'PUT',
    '/v1/pricing/prices/TEE-M',
    { prices: [eur(1), eur(2)] },
    ['prices.1.currency'],
  ],
  [
    'an unknown field',
    'PUT',
    '/v1/pricing/prices/TEE-M',
    { prices: [eur(1)], channel: 'web' },
    ['channel'],
  ],
  [
    'an unknown field in money',
    'PUT',
    '/v1/pricing/prices/TEE-M',
    { prices: [{ ...eur(1), cents: 5 }] },
    ['prices.0.cents'],
  ],
  ['a SKU with a space', 'PUT', '/v1/pricing/prices/a%20b', { prices: [eur(1)] }, ['params.sku']],
  ['malformed JSON for an override', 'PUT', '/v1/pricing/overrides/TEE-M/web', '{', []],
  [
    'an override without a reason',
    'PUT',
    '/v1/pricing/overrides/TEE-M/web',
    { price: eur(900) },
    ['reason'],
  ],
  [
    'an override as a float',
    'PUT',
    '/v1/pricing/overrides/TEE-M/web',
    override({ price: eur(8.99) }),
    ['price.amount'],
  ],
  [
    'a negative override',
    'PUT',
    '/v1/pricing/overrides/TEE-M/web',
    override({ price: eur(-1) }),
    ['price.amount'],
  ],
  [
    'an override in an unknown currency',
    'PUT',
    '/v1/pricing/overrides/TEE-M/web',
    override({ price: { amount: 1, currency: 'ZZZ' } }),
    ['price.currency'],
  ],
  [
    'an override in an unpriced currency',
    'PUT',
    '/v1/pricing/overrides/TEE-M/web',
    override({ price: { amount: 1, currency: 'IRR' } }),
    ['price.currency'],
  ],
  [
    'an override with an unknown field',
    'PUT',
    '/v1/pricing/overrides/TEE-M/web',
    override({ until: '2026-04-01' }),
    ['until'],
  ],
  [
    'an override for an unknown channel',
    'PUT',
    '/v1/pricing/overrides/TEE-M/nope',
    override(),
    ['params.channel'],
  ],
  [
    'removing in an unknown currency',
    'DELETE',
    '/v1/pricing/overrides/TEE-M/web?currency=XBT',
    undefined,
    ['query.currency'],
  ],
  ['a zero limit', 'GET', '/v1/pricing/consistency?limit=0', undefined, ['query.limit']],
  [
    'an unknown report currency',
    'GET',
    '/v1/pricing/consistency?currency=eur',
    undefined,
    ['query.currency'],
  ],
  [
    'an unknown report parameter',
    'GET',
    '/v1/pricing/consistency?sku=TEE-M',
    undefined,
    ['query.sku'],
  ],
  [
    'prices for an unknown channel',
    'GET',
    '/v1/pricing/prices/TEE-M?channel=nope',
    undefined,
    ['query.channel'],
  ],
]

const tables = ['pricing.price', 'pricing.price_override', 'kernel.outbox', 'access.audit_log']

describe.each(engines)('pricing refuses bad input on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
    await t.call('POST', '/v1/channels', { code: 'web', name: 'Website', kind: 'web' })
    await seedProducts(t.db, t.clock, [{ sku: 'TEE-M' }])
    await t.call('PUT', '/v1/pricing/overrides/TEE-M/web', override())
  })
  afterAll(() => t.close())

  it('answers every bad request with 400 problem+json naming the fields, and writes nothing', () => expectRefusedWithoutWrites(t, cases, tables))
})
