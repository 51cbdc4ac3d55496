import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../../../test/support/engines.js'
import { stockAt } from '../fulfillment/testing.js'
import { receive } from '../inventory/testing.js'
import type { ShopKeys } from '../orders/testing.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import {
  exchange,
  handOver,
  parcelReceived,
  placed,
  returnEvents,
  returnSnapshot,
  seedReturnsShop,
  shipTo,
} from './testing.js'

const visa = { method: 'card', card: card(cards.visa) }
const tee = { sku: 'TEE-M', quantity: 1, reason: 'wrong size', condition: 'unopened' }

describe.each(engines)('exchanges on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: ShopKeys
  let order: { id: string; number: number; customerId: string; payment: { id: string } }
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { poolSize: 8 })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    keys = await seedReturnsShop(s.t)
    order = await handOver(
      s.t,
      await placed(s.t, keys.web, {
        customer: { email: 'ana@example.com', name: 'Ana' },
        lines: [{ sku: 'TEE-M', quantity: 2 }],
        fulfillment: { method: 'ship', address: shipTo },
        payment: visa,
      }),
    )
  })

  const inStore = (newLines: object[], extra: object = {}) => ({
    orderId: order.id,
    returnLines: [tee],
    newLines,
    location: 'ath-1',
    ...extra,
  })
  async function exchanged(body: object, key = keys.pos) {
    const res = await exchange(s.t, key, body)
    expect(res.statusCode, res.body).toBe(201)
    return res.json()
  }
  const balance = async (code: string) =>
    (await s.t.call('GET', `/v1/stored-value/${code}`)).json().balance.amount

  it('swaps one size for another at the counter: nothing to pay, nothing to refund', async () => {
    const { return: ret, order: replacement } = await exchanged(inStore([{ sku: 'TEE-L', quantity: 1 }]))
    expect(ret).toMatchObject({
      orderId: order.id,
      value: { amount: 1000 },
      refund: { amount: { amount: 0 }, method: 'none', status: 'refunded' },
      exchange: { orderId: replacement.id, applied: { amount: 1000 }, extraPaymentId: null },
    })
    expect(replacement).toMatchObject({
      status: 'confirmed',
      customerId: order.customerId,
      channel: 'pos-ath',
      lines: [{ sku: 'TEE-L', quantity: 1, location: 'ath-1' }],
      totals: { total: 1000 },
      payment: { method: 'store_credit' },
      fulfillment: { method: 'pickup', location: 'ath-1' },
    })
    expect(await balance(ret.exchange.storeCreditCode)).toBe(0)
    expect(await stockAt(s.t.db, 'TEE-M', 'ath-1')).toEqual({ onHand: 3, reserved: 0 })
    expect(await stockAt(s.t.db, 'TEE-L', 'ath-1')).toEqual({ onHand: 5, reserved: 1 })
    expect(s.server.refunds).toEqual([])
    expect((await returnEvents(s.t.db)).map((e) => e.name)).toEqual(['return.received', 'return.refunded'])
  })

  it('refunds the difference to the card when the replacement costs less', async () => {
    const { return: ret, order: replacement } = await exchanged(inStore([{ sku: 'SOCK-1', quantity: 1 }]))
    expect(replacement.totals.total).toBe(400)
    expect(ret.refund).toMatchObject({ amount: { amount: 600 }, method: 'card', status: 'refunded' })
    expect(ret.exchange.applied.amount).toBe(400)
    expect(s.server.refunds.map((r) => r.amount)).toEqual([600])
    const original = (await s.t.call('GET', `/v1/payments/${order.payment.id}`)).json()
    expect(original.refunded.amount).toBe(600)
  })

  it('takes a payment for the difference when the replacement costs more, or refuses without one', async () => {
    const before = await returnSnapshot(s.t.db)
    const unpaid = await exchange(s.t, keys.pos, inStore([{ sku: 'COAT-1', quantity: 1 }]))
    expect(unpaid.statusCode, unpaid.body).toBe(422)
    expect(unpaid.json().refusals).toEqual([
      expect.objectContaining({ path: 'payment', reason: 'payment-required' }),
    ])
    expect(await returnSnapshot(s.t.db)).toBe(before)

    const { return: ret, order: replacement } = await exchanged(
      inStore([{ sku: 'COAT-1', quantity: 1 }], { payment: visa }),
    )
    expect(replacement).toMatchObject({ status: 'confirmed', totals: { total: 2500 } })
    expect(ret.refund).toMatchObject({ amount: { amount: 0 }, method: 'none' })
    expect(ret.exchange).toMatchObject({ applied: { amount: 1000 }, extraPaymentId: expect.stringMatching(/^pay_/) })
    const extra = (await s.t.call('GET', `/v1/payments/${ret.exchange.extraPaymentId}`)).json()
    expect(extra).toMatchObject({ status: 'captured', amount: { amount: 1500 }, reference: ret.id })
    expect(s.server.captures.map((c) => c.amount)).toEqual([2000, 1500])
    expect(await balance(ret.exchange.storeCreditCode)).toBe(0)
  })

  it('writes nothing when the difference is declined or the replacement is out of stock', async () => {
    const before = await returnSnapshot(s.t.db)
    const declined = await exchange(
      s.t,
      keys.pos,
      inStore([{ sku: 'COAT-1', quantity: 1 }], { payment: { method: 'card', card: card(cards.declined) } }),
    )
    expect(declined.statusCode, declined.body).toBe(402)
    const failsOnCapture = await exchange(
      s.t,
      keys.pos,
      inStore([{ sku: 'COAT-1', quantity: 1 }], { payment: { method: 'card', card: card(cards.failsOnCapture) } }),
    )
    expect(failsOnCapture.statusCode, failsOnCapture.body).toBe(402)
    const short = await exchange(s.t, keys.pos, inStore([{ sku: 'MUG-1', quantity: 1 }]))
    expect(short.statusCode, short.body).toBe(409)
    expect(short.json().type).toBe('https://omnia.dev/problems/insufficient-stock')
    expect(await returnSnapshot(s.t.db)).toBe(before)
    // Only the original order's capture: the declined and refused differences took nothing.
    expect(s.server.captures.map((c) => c.amount)).toEqual([2000])
  })

  it('exchanges by post from the web: the replacement ships to the order address', async () => {
    const { return: ret, order: replacement } = await exchanged(
      {
        orderNumber: order.number,
        contact: 'ana@example.com',
        returnLines: [tee],
        newLines: [{ sku: 'TEE-L', quantity: 1 }],
        byPost: true,
      },
      keys.web,
    )
    // The replacement leaves at once; the returned tee goes back on sale when its parcel arrives.
    expect(ret).toMatchObject({
      byPost: true,
      status: 'awaiting_goods',
      lines: [{ location: 'wh-1', disposition: 'restocked' }],
      refund: { amount: { amount: 0 }, status: 'awaiting_goods' },
    })
    expect(replacement).toMatchObject({
      channel: 'web',
      status: 'confirmed',
      fulfillment: { method: 'ship', address: shipTo },
      totals: { total: 1000 },
    })
    const onShelf = await stockAt(s.t.db, 'TEE-M', 'wh-1')
    expect(await parcelReceived(s.t, ret.id)).toMatchObject({
      status: 'received',
      refund: { amount: { amount: 0 }, method: 'none', status: 'refunded' },
    })
    expect(await stockAt(s.t.db, 'TEE-M', 'wh-1')).toEqual({ ...onShelf, onHand: onShelf.onHand + 1 })
    expect(s.server.refunds).toEqual([])
  })

  it('keeps an exchange within one product even after a coupon; a dearer size costs the difference', async () => {
    const jeans = { '30': 5000, '32': 5000, '34': 5500 }
    const created = await s.t.call('POST', '/v1/products', {
      title: 'Jeans',
      variants: Object.entries(jeans).map(([waist, amount]) => ({
        sku: `JEANS-${waist}`,
        options: { waist },
        price: { amount, currency: 'EUR' },
      })),
    })
    expect(created.statusCode, created.body).toBe(201)
    for (const waist of Object.keys(jeans)) await receive(s.t, `JEANS-${waist}`, 'wh-1', 5)
    for (const waist of Object.keys(jeans)) await receive(s.t, `JEANS-${waist}`, 'ath-1', 5)
    const promotion = await s.t.call('POST', '/v1/promotions', {
      name: 'Twenty off',
      trigger: 'coupon',
      code: 'JEANS20',
      discount: { type: 'percentage', percentOff: 20 },
    })
    expect(promotion.statusCode, promotion.body).toBe(201)
    const bought = await handOver(
      s.t,
      await placed(s.t, keys.web, {
        customer: { id: order.customerId },
        lines: [{ sku: 'JEANS-30', quantity: 2 }],
        fulfillment: { method: 'ship', address: shipTo },
        payment: visa,
        coupon: 'JEANS20',
      }),
    )
    const jeansBack = { sku: 'JEANS-30', quantity: 1, reason: 'too small', condition: 'as_new' }
    const swap = (newLines: object[], extra: object = {}) => ({
      orderId: bought.id,
      returnLines: [jeansBack],
      newLines,
      location: 'ath-1',
      ...extra,
    })

    // Each pair was paid 40.00; the same price in another size costs nothing more.
    const even = await exchanged(swap([{ sku: 'JEANS-32', quantity: 1 }]))
    expect(even.return).toMatchObject({
      value: { amount: 4000 },
      refund: { amount: { amount: 0 }, method: 'none' },
      exchange: { applied: { amount: 4000 }, extraPaymentId: null },
    })
    expect(even.order).toMatchObject({
      lines: [{ sku: 'JEANS-32', unitPrice: { amount: 5000 }, discount: { amount: 1000 } }],
      totals: { subtotal: 5000, discount: 1000, total: 4000 },
    })

    // A size priced 5.00 higher costs 5.00; another product costs what it costs today.
    const unpaid = await exchange(
      s.t,
      keys.pos,
      swap([
        { sku: 'JEANS-34', quantity: 1 },
        { sku: 'SOCK-1', quantity: 1 },
      ]),
    )
    expect(unpaid.statusCode, unpaid.body).toBe(422)
    expect(unpaid.json().refusals[0].message).toContain('costs 900')
    const dearer = await exchanged(
      swap(
        [
          { sku: 'JEANS-34', quantity: 1 },
          { sku: 'SOCK-1', quantity: 1 },
        ],
        { payment: visa },
      ),
    )
    expect(dearer.order.totals).toMatchObject({ subtotal: 5900, discount: 1000, total: 4900 })
    expect(dearer.order.lines).toEqual([
      expect.objectContaining({ sku: 'JEANS-34', discount: { amount: 1000, currency: 'EUR' } }),
      expect.objectContaining({ sku: 'SOCK-1', discount: { amount: 0, currency: 'EUR' } }),
    ])
    const extra = (await s.t.call('GET', `/v1/payments/${dearer.return.exchange.extraPaymentId}`)).json()
    expect(extra).toMatchObject({ status: 'captured', amount: { amount: 900 } })
    // Both pairs came back as exchanges: nothing was refunded to the card.
    expect(s.server.refunds).toEqual([])
  })

  it('answers a retried exchange with the same return and order', async () => {
    const body = inStore([{ sku: 'SOCK-1', quantity: 1 }])
    const first = await exchange(s.t, keys.pos, body, 'swap-1')
    const again = await exchange(s.t, keys.pos, body, 'swap-1')
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    expect(s.server.refunds).toHaveLength(1)
    expect(await stockAt(s.t.db, 'SOCK-1', 'ath-1')).toEqual({ onHand: 5, reserved: 1 })
  })
})
