import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { expectRefusedWithoutWrites, type BadRequest } from '../../../test/support/bad-requests.js'
import { engines } from '../../../test/support/engines.js'

// [what, method, url, body, paths the problem must name; [] = malformed JSON]
type Case = BadRequest

const eur = (amount: unknown) => ({ amount, currency: 'EUR' })
const pct = { type: 'percentage', percentOff: 10 }
const promo = (over: object = {}) => ({ name: 'Offer', discount: pct, ...over })
const basket = (over: object = {}) => ({
  currency: 'EUR',
  lines: [{ sku: 'MUG', quantity: 1, unitPrice: eur(100) }],
  ...over,
})

const P = '/v1/promotions'
const cases = (id: string): Case[] => [
  ['malformed JSON', 'POST', P, '{"name": ', []],
  ['no discount', 'POST', P, { name: 'x' }, ['discount']],
  ['an unknown discount type', 'POST', P, promo({ discount: { type: 'bogo' } }), ['discount.type']],
  [
    'a percentage over 100',
    'POST',
    P,
    promo({ discount: { type: 'percentage', percentOff: 101 } }),
    ['discount.percentOff'],
  ],
  [
    'a fractional percentage',
    'POST',
    P,
    promo({ discount: { type: 'percentage', percentOff: 12.5 } }),
    ['discount.percentOff'],
  ],
  [
    'a zero fixed amount',
    'POST',
    P,
    promo({ discount: { type: 'fixed', amountOff: eur(0) } }),
    ['discount.amountOff.amount'],
  ],
  [
    'a fractional fixed amount',
    'POST',
    P,
    promo({ discount: { type: 'fixed', amountOff: eur(9.5) } }),
    ['discount.amountOff.amount'],
  ],
  [
    'an empty SKU target',
    'POST',
    P,
    promo({ target: { kind: 'skus', skus: [] } }),
    ['target.skus'],
  ],
  ['an unknown field', 'POST', P, promo({ bogus: 1 }), ['bogus']],
  ['a code on an automatic promotion', 'POST', P, promo({ code: 'SAVE10' }), ['code']],
  ['a code with spaces', 'POST', P, promo({ trigger: 'coupon', code: 'SAVE 10' }), ['code']],
  [
    'a window that ends before it starts',
    'POST',
    P,
    promo({ startsAt: '2026-03-02T00:00:00Z', endsAt: '2026-03-01T00:00:00Z' }),
    ['endsAt'],
  ],
  ['a date without time', 'POST', P, promo({ startsAt: '2026-03-02' }), ['startsAt']],
  ['a zero usage limit', 'POST', P, promo({ usageLimit: 0 }), ['usageLimit']],
  [
    'a minimum spend in another currency',
    'POST',
    P,
    promo({
      discount: { type: 'fixed', amountOff: eur(100) },
      minSpend: { amount: 100, currency: 'USD' },
    }),
    ['minSpend.currency'],
  ],
  ['a patch with active as text', 'PATCH', `${P}/${id}`, { active: 'no' }, ['active']],
  [
    'a patched window that ends first',
    'PATCH',
    `${P}/${id}`,
    { endsAt: '2020-01-01T00:00:00Z', startsAt: '2021-01-01T00:00:00Z' },
    ['endsAt'],
  ],
  ['no code count', 'POST', `${P}/${id}/codes`, {}, ['count']],
  ['too many codes', 'POST', `${P}/${id}/codes`, { count: 1001 }, ['count']],
  ['a bad code expiry', 'POST', `${P}/${id}/codes`, { count: 1, expiresAt: 'soon' }, ['expiresAt']],
  ['no lines', 'POST', `${P}/evaluate`, basket({ lines: [] }), ['lines']],
  [
    'a zero quantity',
    'POST',
    `${P}/evaluate`,
    basket({ lines: [{ sku: 'MUG', quantity: 0, unitPrice: eur(1) }] }),
    ['lines.0.quantity'],
  ],
  [
    'a negative price',
    'POST',
    `${P}/evaluate`,
    basket({ lines: [{ sku: 'MUG', quantity: 1, unitPrice: eur(-1) }] }),
    ['lines.0.unitPrice.amount'],
  ],
  [
    'a line in another currency',
    'POST',
    `${P}/evaluate`,
    basket({ currency: 'USD' }),
    ['lines.0.unitPrice.currency'],
  ],
  ['an unknown currency', 'POST', `${P}/evaluate`, basket({ currency: 'XBT' }), ['currency']],
  ['a malformed coupon', 'POST', `${P}/evaluate`, basket({ coupon: '!' }), ['coupon']],
  ['nothing to redeem', 'POST', `${P}/redeem`, { orderRef: 'o' }, ['promotionIds']],
  ['no order', 'POST', `${P}/redeem`, { promotionIds: [id] }, ['orderRef']],
  [
    'a malformed code to redeem',
    'POST',
    `${P}/redeem`,
    { orderRef: 'o', codes: ['a b'] },
    ['codes.0'],
  ],
  ['a malformed coupon to look up', 'GET', '/v1/coupons/a%20b', undefined, ['params.code']],
  ['a garbage cursor', 'GET', `${P}?cursor=bm9wZQ`, undefined, ['query.cursor']],
  ['a huge page', 'GET', `${P}?limit=100000`, undefined, ['query.limit']],
]

const tables = [
  'promotions.promotion',
  'promotions.coupon_code',
  'promotions.customer_usage',
  'promotions.redemption',
  'kernel.outbox',
  'access.audit_log',
]

describe.each(engines)('promotions refuse bad input on %s', (engine) => {
  let t: TestApp
  let id: string
  beforeAll(async () => {
    t = await startTestApp(engine)
    id = (await t.call('POST', P, promo({ trigger: 'coupon' }))).json().id
  })
  afterAll(() => t.close())

  it('answers every bad request with 400 problem+json naming the fields, and writes nothing', () => expectRefusedWithoutWrites(t, cases(id), tables))

  it('answers unknown promotions and codes with 404', async () => {
    for (const [method, url, body] of [
      ['GET', `${P}/prm_nope`, undefined],
      ['PATCH', `${P}/prm_nope`, { active: false }],
      ['POST', `${P}/prm_nope/codes`, { count: 1 }],
      ['POST', `${P}/redeem`, { orderRef: 'o', promotionIds: ['prm_nope'] }],
      ['GET', '/v1/coupons/NOPE42', undefined],
    ] as const) {
      expect((await t.call(method, url, body)).statusCode, `${method} ${url}`).toBe(404)
    }
  })

  it('keeps promotion writes to staff who run marketing, and redemption to selling keys', async () => {
    const analyst = await t.staffKey('analyst')
    const clerk = await t.staffKey('clerk')
    const marketer = await t.staffKey('marketer')
    const email = await t.touchpointKey('email', 'newsletter')
    expect((await t.call('GET', P, undefined, { key: analyst })).statusCode).toBe(200)
    expect((await t.call('POST', P, promo(), { key: clerk })).statusCode).toBe(403)
    expect((await t.call('POST', `${P}/evaluate`, basket(), { key: analyst })).statusCode).toBe(403)
    expect((await t.call('POST', `${P}/evaluate`, basket(), { key: clerk })).statusCode).toBe(200)
    expect(
      (await t.call('POST', `${P}/redeem`, { orderRef: 'o', promotionIds: [id] }, { key: email }))
        .statusCode,
    ).toBe(403)
    expect((await t.call('POST', P, promo(), { key: marketer })).statusCode).toBe(201)
  })
})
