import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'

// On PostgreSQL these requests really race (a pool of 20); on PGlite they queue, and the limits
// must hold all the same.
describe.each(engines)('promotion limits under concurrent redemptions on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { poolSize: 20 })
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  const create = async (body: object) => {
    const res = await t.call('POST', '/v1/promotions', {
      name: 'Offer',
      discount: { type: 'percentage', percentOff: 10 },
      ...body,
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  const redeem = (body: object, key?: string) =>
    t.call('POST', '/v1/promotions/redeem', body, key ? { key } : {})

  it('lets a once-per-customer coupon be used once, racing from the website and a till', async () => {
    const p = await create({ trigger: 'coupon', code: 'ONCE-EACH', perCustomerLimit: 1 })
    const web = await t.touchpointKey('web', 'web')
    const pos = await t.touchpointKey('pos', 'pos-ath-1')
    for (let round = 0; round < 5; round++) {
      const customerId = `cus_${round}`
      const results = await Promise.all([
        redeem({ orderRef: `web-${round}`, customerId, codes: ['ONCE-EACH'] }, web),
        redeem({ orderRef: `pos-${round}`, customerId, codes: ['once-each'] }, pos),
      ])
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 422])
      expect(results.find((r) => r.statusCode === 422)!.json().reason).toBe(
        'customer-limit-reached',
      )
    }
    expect((await t.call('GET', `/v1/promotions/${p.id}`)).json().used).toBe(5)
    const later = await redeem(
      { orderRef: 'web-later', customerId: 'cus_0', codes: ['ONCE-EACH'] },
      web,
    )
    expect(later.json().reason).toBe('customer-limit-reached')
  })

  it('grants exactly the total limit to 50 customers redeeming at once', async () => {
    const p = await create({ usageLimit: 7 })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        redeem({ orderRef: `ord-${i}`, customerId: `cus_${i}`, promotionIds: [p.id] }),
      ),
    )
    const statuses = results.map((r) => r.statusCode)
    expect(statuses.filter((s) => s === 200)).toHaveLength(7)
    expect(statuses.filter((s) => s === 422)).toHaveLength(43)
    expect(
      results
        .filter((r) => r.statusCode === 422)
        .every((r) => r.json().reason === 'usage-limit-reached'),
    ).toBe(true)
    expect((await t.call('GET', `/v1/promotions/${p.id}`)).json().used).toBe(7)
  })

  it('lets a single-use code be redeemed once by racing orders', async () => {
    const p = await create({ trigger: 'coupon' })
    const [code] = (await t.call('POST', `/v1/promotions/${p.id}/codes`, { count: 1 })).json().data
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        redeem({ orderRef: `ord-${i}`, customerId: `cus_${i}`, codes: [code.code] }),
      ),
    )
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1)
    expect(
      results
        .filter((r) => r.statusCode === 422)
        .every((r) => r.json().reason === 'already-redeemed'),
    ).toBe(true)
    expect((await t.call('GET', `/v1/promotions/${p.id}`)).json().used).toBe(1)
  })

  it('replays a redemption retried with the same Idempotency-Key', async () => {
    const p = await create({ usageLimit: 5 })
    const headers = { 'idempotency-key': 'redeem-ord-1' }
    const body = { orderRef: 'ord-1', promotionIds: [p.id] }
    const [a, b] = await Promise.all([
      t.call('POST', '/v1/promotions/redeem', body, { headers }),
      t.call('POST', '/v1/promotions/redeem', body, { headers }),
    ])
    expect(a.statusCode).toBe(200)
    expect(b.json()).toEqual(a.json())
    expect((await t.call('GET', `/v1/promotions/${p.id}`)).json().used).toBe(1)
  })
})
