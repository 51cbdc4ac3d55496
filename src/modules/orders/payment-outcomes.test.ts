import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inTransaction } from '../../kernel/db/index.js'
import { engines } from '../../../test/support/engines.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { failUnpaidOrders, placeOrder } from './index.js'
import { reservedAt, seedShop } from './testing.js'

const minute = 60_000

/**
 * The process placing a card order can die after the provider authorised the card and before
 * the order heard of it. The provider's webhook must then confirm the order; with no answer at
 * all, the order must give its stock back after the payment timeout.
 */
describe.each(engines)('card outcomes that miss the placing request on %s', (engine) => {
  let s: PaymentsTestApp
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { listen: true })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    await seedShop(s.t)
  })

  /** What the request had committed when its process died: the order waits for its card. */
  const placedThenCrashed = () =>
    inTransaction(s.t.db, (tx) =>
      placeOrder(tx, s.t.clock, s.provider, { channel: null, touchpoint: 'key_test', store: null, staff: null, actor: 'test' }, {
        customer: { email: 'iris@example.com' },
        lines: [{ sku: 'TEE-M', quantity: 2 }],
        fulfillment: { method: 'ship', address: { line1: '1 Odos', city: 'Athens', country: 'GR' } },
        payment: { method: 'card', card: card(cards.visa) },
      }),
    )
  const order = async (id: string) => (await s.t.call('GET', `/v1/orders/${id}`)).json()
  const payment = async (id: string) => (await s.t.call('GET', `/v1/payments/${id}`)).json()

  it("confirms the order from the provider's webhook", async () => {
    const placed = await placedThenCrashed()
    expect(placed.status).toBe('pending_payment')
    await s.provider.authorize({
      paymentId: placed.payment.id,
      amount: { amount: placed.totals.total, currency: 'EUR' },
      card: card(cards.visa),
      idempotencyKey: `${placed.payment.id}:authorize`,
    })
    await s.server.deliveriesSettled()
    await s.t.dispatcher.drain()
    const after = await order(placed.id)
    expect(after.status).toBe('confirmed')
    expect(after.timeline.map((e: { kind: string }) => e.kind)).toEqual(['placed', 'payment_authorized'])
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(2)
  })

  it('fails an order nobody settled after the timeout, releasing its stock, and ignores a late webhook', async () => {
    const placed = await placedThenCrashed()
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(2)
    s.t.clock.advance(29 * minute)
    expect(await failUnpaidOrders(s.t.db, s.t.clock, 30)).toBe(0)
    s.t.clock.advance(2 * minute)
    expect(await failUnpaidOrders(s.t.db, s.t.clock, 30)).toBe(1)
    expect((await order(placed.id)).status).toBe('payment_failed')
    expect(await payment(placed.payment.id)).toMatchObject({ status: 'failed', failure: { code: 'abandoned' } })
    expect(await reservedAt(s.t.db, 'TEE-M', 'wh-1')).toBe(0)
    expect(await failUnpaidOrders(s.t.db, s.t.clock, 30)).toBe(0)

    await s.provider.authorize({
      paymentId: placed.payment.id,
      amount: { amount: placed.totals.total, currency: 'EUR' },
      card: card(cards.visa),
      idempotencyKey: `${placed.payment.id}:authorize`,
    })
    await s.server.deliveriesSettled()
    await s.t.dispatcher.drain()
    expect((await order(placed.id)).status).toBe('payment_failed')
    expect((await payment(placed.payment.id)).status).toBe('failed')
  })
})
