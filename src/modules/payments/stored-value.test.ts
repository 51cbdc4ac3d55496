import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inTransaction } from '../../kernel/db/index.js'
import { engines } from '../../../test/support/engines.js'
import { ledgerSum } from './stored-value.js'
import { pay, startPaymentsTestApp, type PaymentsTestApp } from './testing.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' })

describe.each(engines)('gift cards and store credit on %s', (engine) => {
  let s: PaymentsTestApp
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 10 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
  })

  const issue = (body: object) => s.t.call('POST', '/v1/stored-value', body)
  const balance = async (code: string) =>
    (await s.t.call('GET', `/v1/stored-value/${code}`)).json().balance.amount

  it('issues, tops up and reports the balance; a taken code or another currency is refused', async () => {
    const issued = await issue({ code: 'GIFT-1000', kind: 'gift_card', amount: eur(5000) })
    expect(issued.statusCode).toBe(201)
    expect(issued.json()).toMatchObject({
      code: 'GIFT-1000',
      kind: 'gift_card',
      balance: eur(5000),
    })
    const topped = await s.t.call('POST', '/v1/stored-value/GIFT-1000/top-up', {
      amount: eur(2500),
    })
    expect(topped.json().balance).toEqual(eur(7500))
    expect((await issue({ code: 'GIFT-1000', kind: 'gift_card', amount: eur(1) })).statusCode).toBe(
      409,
    )
    const wrong = await s.t.call('POST', '/v1/stored-value/GIFT-1000/top-up', {
      amount: { amount: 100, currency: 'USD' },
    })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().errors).toEqual([
      { path: 'amount.currency', message: 'the account holds EUR' },
    ])
    expect((await s.t.call('GET', '/v1/stored-value/NOPE-0000')).statusCode).toBe(404)
    const generated = (
      await issue({ kind: 'store_credit', amount: eur(100), customerId: 'cus_1' })
    ).json()
    expect(generated.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/)
  })

  it('lets a touchpoint check a balance but only staff issue or top up', async () => {
    const web = await s.t.touchpointKey('web', 'web-shop')
    await issue({ code: 'GIFT-2000', kind: 'gift_card', amount: eur(100) })
    expect(
      (await s.t.call('GET', '/v1/stored-value/GIFT-2000', undefined, { key: web })).statusCode,
    ).toBe(200)
    expect(
      (
        await s.t.call(
          'POST',
          '/v1/stored-value',
          { kind: 'gift_card', amount: eur(1) },
          { key: web },
        )
      ).statusCode,
    ).toBe(403)
  })

  it('lets exactly one of two channels spend a balance that covers one purchase', async () => {
    await issue({ code: 'GIFT-RACE', kind: 'gift_card', amount: eur(3000) })
    const web = await s.t.touchpointKey('web', 'web-shop')
    const pos = await s.t.touchpointKey('pos', 'pos-athens', undefined)
    for (let round = 0; round < 5; round++) {
      if (round > 0)
        await s.t.call('POST', '/v1/stored-value/GIFT-RACE/top-up', {
          amount: eur(3000 - (await balance('GIFT-RACE'))),
        })
      const body = (ref: string) => ({
        reference: ref,
        method: 'store_credit',
        amount: eur(2000),
        storedValueCode: 'GIFT-RACE',
      })
      const results = await Promise.all([
        pay(s.t, body(`web-${round}`), { key: web }),
        pay(s.t, body(`pos-${round}`), { key: pos }),
      ])
      const codes = results.map((r) => r.statusCode).sort()
      expect(codes).toEqual([201, 402])
      const refusal = results.find((r) => r.statusCode === 402)!.json()
      expect(refusal).toMatchObject({
        type: 'https://omnia.dev/problems/payment-declined',
        code: 'insufficient_funds',
      })
      expect(await balance('GIFT-RACE')).toBe(1000)
    }
    const payments = await s.t.db
      .selectFrom('payments.payment')
      .select(['channel', 'status'])
      .execute()
    expect(payments).toHaveLength(5)
    expect(
      payments.every(
        (p: { channel: string; status: string }) =>
          ['web-shop', 'pos-athens'].includes(p.channel) && p.status === 'authorized',
      ),
    ).toBe(true)
  })

  it('refunds a card payment to store credit instead of the card, without asking the provider', async () => {
    await issue({ code: 'CREDIT-CUS1', kind: 'store_credit', amount: eur(0), customerId: 'cus_1' })
    const payment = (
      await pay(s.t, {
        reference: 'ord_r',
        method: 'card',
        amount: eur(4000),
        token: 'pm_card_visa',
      })
    ).json()
    await s.t.call('POST', `/v1/payments/${payment.id}/capture`, {})
    const refunded = await s.t.call('POST', `/v1/payments/${payment.id}/refund`, {
      amount: 1500,
      storeCredit: 'CREDIT-CUS1',
    })
    expect(refunded.json()).toMatchObject({ status: 'partially_refunded', refunded: eur(1500) })
    expect(await balance('CREDIT-CUS1')).toBe(1500)
    expect(s.server.refunds).toEqual([])
    await issue({
      code: 'CREDIT-USD',
      kind: 'store_credit',
      amount: { amount: 0, currency: 'USD' },
    })
    const wrong = await s.t.call('POST', `/v1/payments/${payment.id}/refund`, {
      storeCredit: 'CREDIT-USD',
    })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().errors).toEqual([{ path: 'storeCredit', message: 'the account holds USD' }])
    expect((await s.t.call('GET', `/v1/payments/${payment.id}`)).json().refunded).toEqual(eur(1500))
  })

  it('keeps the balance equal to its ledger sum and to the money that moved, whatever the order of spends, refunds and voids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('spend' as const),
              amount: fc.integer({ min: 1, max: 3000 }),
              then: fc.constantFrom('keep', 'capture', 'void', 'refund-part', 'refund-all'),
            }),
            fc.record({
              op: fc.constant('top-up' as const),
              amount: fc.integer({ min: 1, max: 2000 }),
            }),
          ),
          { maxLength: 8 },
        ),
        async (opening, steps) => {
          s.server.reset()
          await s.t.reset()
          await issue({ code: 'PROP-CARD', kind: 'store_credit', amount: eur(opening) })
          let expected = opening
          for (const [i, step] of steps.entries()) {
            if (step.op === 'top-up') {
              await s.t.call('POST', '/v1/stored-value/PROP-CARD/top-up', {
                amount: eur(step.amount),
              })
              expected += step.amount
              continue
            }
            const res = await pay(s.t, {
              reference: `ord_${i}`,
              method: 'store_credit',
              amount: eur(step.amount),
              storedValueCode: 'PROP-CARD',
            })
            if (step.amount > expected) {
              expect(res.statusCode).toBe(402)
              continue
            }
            expect(res.statusCode).toBe(201)
            expected -= step.amount
            const id = res.json().id
            if (step.then === 'void') {
              await s.t.call('POST', `/v1/payments/${id}/void`, {})
              expected += step.amount
            } else if (step.then !== 'keep') {
              await s.t.call('POST', `/v1/payments/${id}/capture`, {})
              if (step.then.startsWith('refund')) {
                const part = step.then === 'refund-part' ? Math.ceil(step.amount / 2) : step.amount
                await s.t.call('POST', `/v1/payments/${id}/refund`, { amount: part })
                expected += part
              }
            }
          }
          const sum = await inTransaction(s.t.db, (tx) => ledgerSum(tx, 'PROP-CARD'))
          expect(await balance('PROP-CARD')).toBe(expected)
          expect(sum).toBe(expected)
        },
      ),
      { numRuns: 15 },
    )
  })
})
