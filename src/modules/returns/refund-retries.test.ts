import pino from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { periodicTasks } from '../../modules.js'
import type { ShopKeys } from '../orders/testing.js'
import type { PaymentProvider } from '../payments/index.js'
import { card, cards, startPaymentsTestApp, type PaymentsTestApp } from '../payments/testing.js'
import { completeCardRefund, refundLeaseMs } from './refunds.js'
import { createReturn, type ReturnOrigin } from './returns.js'
import { CreateReturnBody } from './schema.js'
import {
  handOver,
  placed,
  receiveParcel,
  returnEvents,
  returnGoods,
  returnSnapshot,
  seedReturnsShop,
  shipTo,
} from './testing.js'

const visa = { method: 'card', card: card(cards.visa) }
const line = (sku: string, quantity: number) => ({
  sku,
  quantity,
  reason: 'does not fit',
  condition: 'unopened',
})

describe.each(engines)('return refund retries on %s', (engine) => {
  let s: PaymentsTestApp
  let keys: ShopKeys
  let providerUrl: string
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine)
    providerUrl = process.env.OMNIA_PAYMENT_PROVIDER_URL!
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
    keys = await seedReturnsShop(s.t)
  })
  afterEach(() => {
    process.env.OMNIA_PAYMENT_PROVIDER_URL = providerUrl
  })

  const deliveredOrder = async (quantity = 2) =>
    handOver(
      s.t,
      await placed(s.t, keys.web, {
        customer: { email: 'ana@example.com', name: 'Ana' },
        lines: [{ sku: 'TEE-M', quantity }],
        fulfillment: { method: 'ship', address: shipTo },
        payment: visa,
      }),
    )
  const payment = async (id: string) => (await s.t.call('GET', `/v1/payments/${id}`)).json()
  const getReturn = async (id: string) => (await s.t.call('GET', `/v1/returns/${id}`)).json()
  // The task as a server process runs it, with the provider it reaches through the environment.
  const retryTask = () =>
    periodicTasks({ db: s.t.db, clock: s.t.clock, logger: pino({ level: 'silent' }) }).find(
      (t) => t.name === 'returns.settle-refunds',
    )!
  const desk: ReturnOrigin = {
    channel: null,
    channelKind: null,
    touchpoint: 'key_desk',
    store: 'ath-1',
    staff: 'key_desk',
    actor: 'key:key_desk',
  }
  // A return whose transaction committed in a process that stopped before calling the provider.
  const committedOnly = (orderId: string) =>
    inTransaction(s.t.db, (tx) =>
      createReturn(
        tx,
        s.t.clock,
        s.provider,
        desk,
        CreateReturnBody.parse({ orderId, lines: [line('TEE-M', 1)], location: 'ath-1' }),
      ),
    )

  it('settles a refund the process never sent, once, from the periodic task', async () => {
    const order = await deliveredOrder()
    const ret = await committedOnly(order.id)
    expect(ret.refund).toMatchObject({ method: 'card', status: 'pending' })
    // Requested with the return: the payment holds the amount, so nothing else can refund it.
    expect(await payment(order.payment.id)).toMatchObject({ refunded: { amount: 1000 } })
    expect(s.server.refunds).toEqual([])

    // Two server processes running the task at once: one claims the refund, the other skips it.
    await Promise.all([retryTask().run(), retryTask().run()])
    expect((await getReturn(ret.id)).refund).toMatchObject({ method: 'card', status: 'refunded' })
    expect(s.server.refunds.map((r) => r.amount)).toEqual([1000])
    await retryTask().run()
    expect(s.server.refunds).toHaveLength(1)
    expect(await payment(order.payment.id)).toMatchObject({
      status: 'partially_refunded',
      refunded: { amount: 1000 },
    })
    expect((await returnEvents(s.t.db)).map((e) => e.name)).toEqual([
      'return.received',
      'return.refunded',
    ])
  })

  it('finishes a refund the provider made before the process stopped, without refunding again', async () => {
    const order = await deliveredOrder()
    const ret = await committedOnly(order.id)
    const stopsAfterCall: PaymentProvider = {
      ...s.provider,
      refund: async (req) => {
        await s.provider.refund(req)
        throw new Error('the process stopped')
      },
    }
    await expect(completeCardRefund(s.t.db, s.t.clock, stopsAfterCall, ret.id)).rejects.toThrow(
      'the process stopped',
    )
    expect((await getReturn(ret.id)).refund.status).toBe('refunding')
    expect(s.server.refunds.map((r) => r.amount)).toEqual([1000])

    // Within the lease the claim is left to the process that holds it.
    await retryTask().run()
    expect((await getReturn(ret.id)).refund.status).toBe('refunding')
    s.t.clock.advance(refundLeaseMs + 1000)
    await retryTask().run()
    expect((await getReturn(ret.id)).refund).toMatchObject({ status: 'refunded', method: 'card' })
    // The retry carried the same idempotency key: the provider answered its first refund.
    expect(s.server.refunds).toHaveLength(1)
    expect(await payment(order.payment.id)).toMatchObject({ refunded: { amount: 1000 } })
    expect((await returnEvents(s.t.db)).filter((e) => e.name === 'return.refunded')).toHaveLength(1)
  })

  it('keeps a refund pending while the provider is down and settles it once it is back', async () => {
    const order = await deliveredOrder()
    process.env.OMNIA_PAYMENT_PROVIDER_URL = 'http://127.0.0.1:9'
    const res = await returnGoods(s.t, keys.pos, {
      orderId: order.id,
      lines: [line('TEE-M', 1)],
      location: 'ath-1',
    }, 'desk-down')
    expect(res.statusCode, res.body).toBe(201)
    const ret = res.json()
    expect(ret.refund).toMatchObject({ method: 'card', status: 'pending' })
    await retryTask().run()
    expect((await getReturn(ret.id)).refund.status).toBe('pending')

    process.env.OMNIA_PAYMENT_PROVIDER_URL = providerUrl
    await retryTask().run()
    expect((await getReturn(ret.id)).refund).toMatchObject({ status: 'refunded', method: 'card' })
    const replay = await returnGoods(s.t, keys.pos, {
      orderId: order.id,
      lines: [line('TEE-M', 1)],
      location: 'ath-1',
    }, 'desk-down')
    expect(replay.json().refund.status).toBe('refunded')
    expect(s.server.refunds.map((r) => r.amount)).toEqual([1000])
    expect(await payment(order.payment.id)).toMatchObject({ refunded: { amount: 1000 } })
  })

  it('receives a parcel while the provider is down: restocked at once, refunded by the retry', async () => {
    const order = await deliveredOrder()
    const announced = await returnGoods(s.t, keys.web, {
      orderNumber: order.number,
      contact: 'ana@example.com',
      lines: [line('TEE-M', 2)],
      byPost: true,
    })
    expect(announced.statusCode, announced.body).toBe(201)
    const id = announced.json().id
    process.env.OMNIA_PAYMENT_PROVIDER_URL = 'http://127.0.0.1:9'
    const booked = await receiveParcel(s.t, id, {}, { idempotencyKey: 'parcel-down' })
    expect(booked.statusCode, booked.body).toBe(200)
    expect(booked.json()).toMatchObject({ status: 'received', refund: { method: 'card', status: 'pending' } })
    await retryTask().run()
    expect((await getReturn(id)).refund.status).toBe('pending')

    process.env.OMNIA_PAYMENT_PROVIDER_URL = providerUrl
    await retryTask().run()
    expect((await getReturn(id)).refund).toMatchObject({ status: 'refunded', method: 'card' })
    const replay = await receiveParcel(s.t, id, {}, { idempotencyKey: 'parcel-down' })
    expect(replay.statusCode).toBe(200)
    expect(replay.json().refund.status).toBe('refunded')
    expect(s.server.refunds.map((r) => r.amount)).toEqual([2000])
    expect((await returnEvents(s.t.db)).map((e) => e.name)).toEqual([
      'return.requested',
      'return.received',
      'return.refunded',
    ])
  })

  it('answers a retry that arrives while the refund is with the provider: refunding, then refunded', async () => {
    const order = await deliveredOrder()
    const body = { orderId: order.id, lines: [line('TEE-M', 1)], location: 'ath-1' }
    process.env.OMNIA_PAYMENT_PROVIDER_URL = 'http://127.0.0.1:9'
    const first = await returnGoods(s.t, keys.pos, body, 'desk-slow')
    expect(first.json().refund.status).toBe('pending')
    process.env.OMNIA_PAYMENT_PROVIDER_URL = providerUrl
    let answer: () => void = () => undefined
    const heard = new Promise<void>((resolve) => (answer = resolve))
    const slow: PaymentProvider = {
      ...s.provider,
      refund: async (req) => {
        await heard
        return s.provider.refund(req)
      },
    }
    const attempt = completeCardRefund(s.t.db, s.t.clock, slow, first.json().id)
    await expect.poll(async () => (await getReturn(first.json().id)).refund.status).toBe('refunding')

    const retry = await returnGoods(s.t, keys.pos, body, 'desk-slow')
    expect(retry.statusCode).toBe(201)
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect(retry.json()).toMatchObject({ id: first.json().id, refund: { status: 'refunding' } })
    expect(s.server.refunds).toEqual([])

    answer()
    expect(await attempt).toBe('refunded')
    expect((await getReturn(first.json().id)).refund.status).toBe('refunded')
    expect(s.server.refunds.map((r) => r.amount)).toEqual([1000])
  })

  it('pays in store credit when the provider refuses the refund, and gives the payment its amount back', async () => {
    const order = await deliveredOrder()
    const ret = await committedOnly(order.id)
    const refuses: PaymentProvider = {
      ...s.provider,
      refund: async (req) => ({
        ok: false,
        providerPaymentId: req.providerPaymentId,
        code: 'charge_disputed',
        declineCode: null,
        message: 'The charge is disputed',
      }),
    }
    expect(await completeCardRefund(s.t.db, s.t.clock, refuses, ret.id)).toBe('store_credit')
    const settled = await getReturn(ret.id)
    expect(settled.refund).toMatchObject({
      method: 'store_credit',
      status: 'refunded',
      paymentId: null,
      storeCreditCode: expect.any(String),
    })
    const account = (await s.t.call('GET', `/v1/stored-value/${settled.refund.storeCreditCode}`)).json()
    expect(account).toMatchObject({ balance: { amount: 1000 }, customerId: order.customerId })
    expect(await payment(order.payment.id)).toMatchObject({ status: 'captured', refunded: { amount: 0 } })
    // Settled once: a retry finds nothing due and pays nothing more.
    expect(await completeCardRefund(s.t.db, s.t.clock, refuses, ret.id)).toBe('not-due')
    expect((await returnEvents(s.t.db)).filter((e) => e.name === 'return.refunded')).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ method: 'store_credit' }) }),
    ])
  })

  it('never pays out again what staff refunded directly through the payment', async () => {
    const order = await deliveredOrder()
    const refunded = await s.t.call('POST', `/v1/payments/${order.payment.id}/refund`, {
      amount: 1500,
    })
    expect(refunded.statusCode, refunded.body).toBe(200)
    // 500 is left: the first unit (1000) cannot come back in store credit or otherwise.
    const before = await returnSnapshot(s.t.db)
    for (const refund of ['store_credit', 'original']) {
      const res = await returnGoods(s.t, keys.clerk, {
        orderId: order.id,
        lines: [line('TEE-M', 1)],
        location: 'ath-1',
        refund,
      })
      expect(res.statusCode, res.body).toBe(422)
      expect(res.json()).toMatchObject({
        type: 'https://omnia.dev/problems/return-not-allowed',
        refusals: [{ path: 'orderId', reason: 'already-refunded' }],
      })
      expect(res.json().refusals[0].message).toContain('500')
    }
    expect(await returnSnapshot(s.t.db)).toBe(before)
  })

  it('counts store credit paid by earlier returns against what the payment has left', async () => {
    const order = await deliveredOrder()
    const credit = await returnGoods(s.t, keys.clerk, {
      orderId: order.id,
      lines: [line('TEE-M', 1)],
      location: 'ath-1',
      refund: 'store_credit',
    })
    expect(credit.json().refund).toMatchObject({ method: 'store_credit', status: 'refunded' })
    // The payment itself still shows 2000 refundable; staff refund half of it at the desk.
    const refunded = await s.t.call('POST', `/v1/payments/${order.payment.id}/refund`, {
      amount: 1000,
    })
    expect(refunded.statusCode, refunded.body).toBe(200)
    const res = await returnGoods(s.t, keys.clerk, {
      orderId: order.id,
      lines: [line('TEE-M', 1)],
      location: 'ath-1',
    })
    expect(res.statusCode, res.body).toBe(422)
    expect(res.json().refusals).toEqual([
      expect.objectContaining({ path: 'orderId', reason: 'already-refunded' }),
    ])
    expect(s.server.refunds.map((r) => r.amount)).toEqual([1000])
  })

  it('refuses by the order number when the customer proves the order that way', async () => {
    const order = await deliveredOrder(1)
    await s.t.call('POST', `/v1/payments/${order.payment.id}/refund`, {})
    const res = await returnGoods(s.t, keys.web, {
      orderNumber: order.number,
      contact: 'ana@example.com',
      lines: [line('TEE-M', 1)],
      byPost: true,
    })
    expect(res.statusCode, res.body).toBe(422)
    expect(res.json().refusals).toEqual([
      expect.objectContaining({ path: 'orderNumber', reason: 'already-refunded' }),
    ])
  })
})
