import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { releaseRedemption } from './index.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' })
const line = (sku: string, amount: number, quantity = 1) => ({
  sku,
  quantity,
  unitPrice: eur(amount),
})

describe.each(engines)('promotions on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    await t.call('POST', '/v1/categories', { code: 'clothing', name: 'Clothing' })
    await t.call('POST', '/v1/categories', { code: 'tees', name: 'T-shirts', parent: 'clothing' })
    await t.call('POST', '/v1/products', {
      title: 'Tee',
      categories: ['tees'],
      variants: [{ sku: 'TEE-M', price: eur(2000) }],
    })
    await t.call('POST', '/v1/products', {
      title: 'Mug',
      variants: [{ sku: 'MUG', price: eur(1000) }],
    })
  })

  const create = async (body: object) => {
    const res = await t.call('POST', '/v1/promotions', { name: 'Offer', ...body })
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  const evaluate = async (body: object) => {
    const res = await t.call('POST', '/v1/promotions/evaluate', { currency: 'EUR', ...body })
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }

  it('takes a percentage off every line, rounding down per line', async () => {
    await create({ discount: { type: 'percentage', percentOff: 15 } })
    const plan = await evaluate({ lines: [line('TEE-M', 1999), line('MUG', 999, 3)] })
    expect(plan.lines.map((l: { discount: number }) => l.discount)).toEqual([299, 449])
    expect(plan).toMatchObject({
      subtotal: 4996,
      discountTotal: 748,
      total: 4248,
      refusedCoupon: null,
    })
  })

  it('spreads a fixed discount over the lines in proportion', async () => {
    await create({ discount: { type: 'fixed', amountOff: eur(1000) } })
    const plan = await evaluate({ lines: [line('TEE-M', 2000), line('MUG', 1000)] })
    expect(plan.lines.map((l: { discount: number }) => l.discount)).toEqual([667, 333])
  })

  it('discounts a category including the categories below it', async () => {
    await create({
      discount: { type: 'percentage', percentOff: 50 },
      target: { kind: 'categories', categories: ['clothing'] },
    })
    const plan = await evaluate({ lines: [line('TEE-M', 2000), line('MUG', 1000)] })
    expect(plan.lines.map((l: { discount: number }) => l.discount)).toEqual([1000, 0])
  })

  it('applies a minimum spend to the subtotal', async () => {
    const p = await create({
      discount: { type: 'fixed', amountOff: eur(500) },
      minSpend: eur(5000),
    })
    const small = await evaluate({ lines: [line('MUG', 1000, 4)] })
    expect(small.notApplied).toEqual([
      { promotionId: p.id, code: null, reason: 'min-spend-not-met' },
    ])
    const big = await evaluate({ lines: [line('MUG', 1000, 5)] })
    expect(big.discountTotal).toBe(500)
  })

  it('applies a promotion only within its window, by the clock', async () => {
    await create({
      discount: { type: 'percentage', percentOff: 10 },
      startsAt: '2026-03-02T00:00:00Z',
      endsAt: '2026-03-03T00:00:00Z',
    })
    const basket = { lines: [line('MUG', 1000)] }
    expect((await evaluate(basket)).discountTotal).toBe(0)
    t.clock.advance(24 * 3600_000)
    expect((await evaluate(basket)).discountTotal).toBe(100)
    t.clock.advance(24 * 3600_000)
    expect((await evaluate(basket)).discountTotal).toBe(0)
  })

  it('applies the best non-stackable promotion and every stackable one', async () => {
    await create({ discount: { type: 'percentage', percentOff: 10 } })
    const best = await create({ discount: { type: 'percentage', percentOff: 20 } })
    const extra = await create({
      discount: { type: 'fixed', amountOff: eur(100) },
      stackable: true,
    })
    const plan = await evaluate({ lines: [line('MUG', 1000)] })
    expect(plan.applied.map((a: { promotionId: string }) => a.promotionId)).toEqual([
      best.id,
      extra.id,
    ])
    expect(plan.discountTotal).toBe(300)
  })

  it('applies a coupon only with its code, and says why a code is refused', async () => {
    await create({
      trigger: 'coupon',
      code: 'spring10',
      discount: { type: 'percentage', percentOff: 10 },
      minSpend: eur(3000),
    })
    expect((await evaluate({ lines: [line('MUG', 1000, 5)] })).discountTotal).toBe(0)
    expect(
      (await evaluate({ lines: [line('MUG', 1000, 5)], coupon: 'SPRING10' })).discountTotal,
    ).toBe(500)
    const short = await evaluate({ lines: [line('MUG', 1000)], coupon: 'spring10' })
    expect(short.refusedCoupon).toEqual({ code: 'SPRING10', reason: 'min-spend-not-met' })
    const unknown = await evaluate({ lines: [line('MUG', 1000)], coupon: 'NOPE42' })
    expect(unknown.refusedCoupon).toEqual({ code: 'NOPE42', reason: 'unknown-code' })
  })

  it('makes single-use codes that work once and expire', async () => {
    const p = await create({ trigger: 'coupon', discount: { type: 'percentage', percentOff: 10 } })
    const made = await t.call('POST', `/v1/promotions/${p.id}/codes`, {
      count: 3,
      expiresAt: '2026-03-05T00:00:00Z',
    })
    expect(made.statusCode).toBe(201)
    const codes: { code: string }[] = made.json().data
    expect(new Set(codes.map((c) => c.code)).size).toBe(3)
    const [first, second] = codes.map((c) => c.code)
    expect((await t.call('GET', `/v1/coupons/${first}`)).json()).toMatchObject({
      valid: true,
      singleUse: true,
      promotion: { id: p.id },
    })
    const ok = await t.call('POST', '/v1/promotions/redeem', { orderRef: 'ord-1', codes: [first] })
    expect(ok.statusCode).toBe(200)
    const retried = await t.call('POST', '/v1/promotions/redeem', { orderRef: 'ord-1', codes: [first] })
    expect(retried.json()).toEqual(ok.json())
    const again = await t.call('POST', '/v1/promotions/redeem', {
      orderRef: 'ord-2',
      codes: [first],
    })
    expect(again.statusCode).toBe(422)
    expect(again.json()).toMatchObject({
      type: 'https://omnia.dev/problems/coupon-not-applicable',
      reason: 'already-redeemed',
    })
    expect((await t.call('GET', `/v1/coupons/${first}`)).json()).toMatchObject({
      valid: false,
      reason: 'already-redeemed',
    })
    await inTransaction(t.db, (tx) => releaseRedemption(tx, t.clock, { orderRef: 'ord-1' }))
    expect((await t.call('GET', `/v1/coupons/${first}`)).json()).toMatchObject({ valid: true })
    t.clock.advance(5 * 24 * 3600_000)
    const late = await t.call('POST', '/v1/promotions/redeem', {
      orderRef: 'ord-3',
      codes: [second],
    })
    expect(late.json().reason).toBe('expired')
  })

  it('refuses codes for an automatic promotion', async () => {
    const p = await create({ discount: { type: 'percentage', percentOff: 10 } })
    const res = await t.call('POST', `/v1/promotions/${p.id}/codes`, { count: 1 })
    expect(res.statusCode).toBe(422)
    expect(res.json().reason).toBe('automatic-promotion')
  })

  it('deactivates a promotion and lists newest first, a page at a time', async () => {
    const a = await create({ discount: { type: 'percentage', percentOff: 10 } })
    const b = await create({ discount: { type: 'percentage', percentOff: 20 } })
    const off = await t.call('PATCH', `/v1/promotions/${a.id}`, { active: false })
    expect(off.json().active).toBe(false)
    expect((await evaluate({ lines: [line('MUG', 1000)] })).discountTotal).toBe(200)
    const page1 = (await t.call('GET', '/v1/promotions?limit=1')).json()
    expect(page1.data.map((p: { id: string }) => p.id)).toEqual([b.id])
    const page2 = (await t.call('GET', `/v1/promotions?limit=1&cursor=${page1.nextCursor}`)).json()
    expect(page2).toEqual({ data: [expect.objectContaining({ id: a.id })], nextCursor: null })
    const audit = (await t.call('GET', '/v1/audit?resource=promotion')).json().data
    expect(audit[0]).toMatchObject({
      action: 'promotion.updated',
      before: { active: true },
      after: { active: false },
    })
    const bad = await t.call('PATCH', `/v1/promotions/${a.id}`, {
      startsAt: '2026-04-01T00:00:00Z',
      endsAt: '2026-03-01T00:00:00Z',
    })
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: 'endsAt' })])
  })

  it('stops applying an automatic promotion the moment its last use is redeemed', async () => {
    const p = await create({ discount: { type: 'percentage', percentOff: 10 }, usageLimit: 1 })
    expect((await evaluate({ lines: [line('MUG', 1000)] })).discountTotal).toBe(100)
    const used = await t.call('POST', '/v1/promotions/redeem', { orderRef: 'ord-1', promotionIds: [p.id] })
    expect(used.statusCode).toBe(200)
    const after = await evaluate({ lines: [line('MUG', 1000)] })
    expect(after.discountTotal).toBe(0)
    expect(after.notApplied).toEqual([expect.objectContaining({ promotionId: p.id, reason: 'usage-limit-reached' })])
  })

  it('refuses a taken coupon code', async () => {
    await create({
      trigger: 'coupon',
      code: 'WELCOME',
      discount: { type: 'percentage', percentOff: 10 },
    })
    const res = await t.call('POST', '/v1/promotions', {
      name: 'x',
      trigger: 'coupon',
      code: 'welcome',
      discount: { type: 'percentage', percentOff: 5 },
    })
    expect(res.statusCode).toBe(409)
    expect((await t.call('GET', '/v1/promotions')).json().data).toHaveLength(1)
  })

  it('redeems an order once, and a cancelled order gives its uses back', async () => {
    const p = await create({
      trigger: 'coupon',
      code: 'ONCE',
      discount: { type: 'percentage', percentOff: 10 },
      usageLimit: 1,
      perCustomerLimit: 1,
    })
    const body = { orderRef: 'ord-1', customerId: 'cus_1', codes: ['ONCE'] }
    const first = await t.call('POST', '/v1/promotions/redeem', body)
    expect(first.statusCode).toBe(200)
    const retried = await t.call('POST', '/v1/promotions/redeem', body)
    expect(retried.json().data).toEqual(first.json().data)
    expect((await t.call('GET', `/v1/promotions/${p.id}`)).json().used).toBe(1)
    const other = await t.call('POST', '/v1/promotions/redeem', {
      ...body,
      orderRef: 'ord-2',
      customerId: 'cus_2',
    })
    expect(other.json().reason).toBe('usage-limit-reached')

    const released = await inTransaction(t.db, (tx) =>
      releaseRedemption(tx, t.clock, { orderRef: 'ord-1' }),
    )
    expect(released).toHaveLength(1)
    expect((await t.call('GET', `/v1/promotions/${p.id}`)).json().used).toBe(0)
    expect((await t.call('POST', '/v1/promotions/redeem', body)).statusCode).toBe(200)
  })

  it('refuses a per-customer promotion without a customer, and a coupon promotion by id', async () => {
    const p = await create({
      discount: { type: 'percentage', percentOff: 10 },
      perCustomerLimit: 1,
    })
    const anonymous = await t.call('POST', '/v1/promotions/redeem', {
      orderRef: 'o',
      promotionIds: [p.id],
    })
    expect(anonymous.json().reason).toBe('customer-required')
    const c = await create({ trigger: 'coupon', discount: { type: 'percentage', percentOff: 10 } })
    const byId = await t.call('POST', '/v1/promotions/redeem', {
      orderRef: 'o',
      promotionIds: [c.id],
    })
    expect(byId.json().reason).toBe('code-required')
    expect((await t.call('GET', `/v1/promotions/${p.id}`)).json().used).toBe(0)
  })
})
