import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { signPayload } from '../../adapters/payment-test/index.js'
import { inTransaction } from '../../kernel/db/index.js'
import { engines } from '../../../test/support/engines.js'
import { recordPayment } from './payments.js'
import {
  card,
  cards,
  pay,
  startPaymentsTestApp,
  webhookSecret,
  type PaymentsTestApp,
} from './testing.js'

const path = '/webhooks/payments/test-provider'

describe.each(engines)('provider webhooks on %s', (engine) => {
  let s: PaymentsTestApp
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine, { listen: true })
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
  })

  const seconds = () => Math.floor(s.t.clock.now().getTime() / 1000)
  const deliver = (body: string, signature?: string) =>
    s.t.call('POST', path, body, {
      key: null,
      headers: {
        'content-type': 'application/json',
        ...(signature && { 'stripe-signature': signature }),
      },
    })
  const eventFor = (id: string, type: string, intent: string, paymentId: string) =>
    JSON.stringify({
      id,
      object: 'event',
      type,
      data: {
        object: { id: intent, object: 'payment_intent', metadata: { omnia_payment_id: paymentId } },
      },
    })
  const webhookRows = () => s.t.db.selectFrom('payments.webhook_event').selectAll().execute()

  it('settles an authorization whose answer never reached Omnia, from the signed webhook the provider sends', async () => {
    const body = {
      reference: 'ord_w1',
      method: 'card' as const,
      amount: { amount: 4100, currency: 'EUR' as const },
    }
    const { row } = await inTransaction(s.t.db, (tx) =>
      recordPayment(tx, s.t.clock, s.provider, body, { channel: null }),
    )
    // The provider authorizes, but the answer is lost on the way back.
    await s.provider.authorize({
      paymentId: row.id,
      amount: body.amount,
      card: card(cards.visa),
      idempotencyKey: `${row.id}:authorize`,
    })
    await s.server.deliveriesSettled()
    expect(s.server.deliveries).toEqual([
      { type: 'payment_intent.amount_capturable_updated', status: 200 },
    ])
    const payment = (await s.t.call('GET', `/v1/payments/${row.id}`)).json()
    expect(payment.status).toBe('authorized')
    expect(payment.providerPaymentId).toMatch(/^pi_/)
  })

  it('delivers every state change of a real payment, each applied once and never moving it backwards', async () => {
    const payment = (
      await pay(s.t, {
        reference: 'ord_w2',
        method: 'card',
        amount: { amount: 900, currency: 'EUR' },
        card: card(cards.visa),
      })
    ).json()
    await s.t.call('POST', `/v1/payments/${payment.id}/capture`, {})
    await s.server.deliveriesSettled()
    expect(s.server.deliveries.map((d) => d.status)).toEqual([200, 200])
    expect((await webhookRows()).map((r) => r.type).sort()).toEqual([
      'payment_intent.amount_capturable_updated',
      'payment_intent.succeeded',
    ])
    expect((await s.t.call('GET', `/v1/payments/${payment.id}`)).json().status).toBe('captured')
  })

  it('accepts a valid signature once and answers the same event again as a duplicate with no effect', async () => {
    const payment = (
      await pay(s.t, {
        reference: 'ord_w3',
        method: 'card',
        amount: { amount: 500, currency: 'EUR' },
        card: card(cards.visa),
      })
    ).json()
    const body = eventFor(
      'evt_same',
      'payment_intent.succeeded',
      payment.providerPaymentId,
      payment.id,
    )
    const first = await deliver(body, signPayload(webhookSecret, body, seconds()))
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({ received: true, duplicate: false })
    const again = await deliver(body, signPayload(webhookSecret, body, seconds()))
    expect(again.json()).toEqual({ received: true, duplicate: true })
    const read = (await s.t.call('GET', `/v1/payments/${payment.id}`)).json()
    expect(read.status).toBe('captured')
    expect(read.history.filter((h: { kind: string }) => h.kind === 'captured')).toHaveLength(1)
  })

  it.each([
    ['no signature', () => undefined],
    ['a wrong secret', (body: string, t: number) => signPayload('whsec_other', body, t)],
    [
      'a signature over another body',
      (_body: string, t: number) => signPayload(webhookSecret, '{}', t),
    ],
    [
      'a replay older than five minutes',
      (body: string, t: number) => signPayload(webhookSecret, body, t - 301),
    ],
    ['a garbled header', () => 't=abc,v1=zz'],
  ])('refuses a delivery with %s as 401 and writes nothing', async (_label, sign) => {
    const body = eventFor('evt_bad', 'payment_intent.succeeded', 'pi_x', 'pay_x')
    const res = await deliver(body, sign(body, seconds()))
    expect(res.statusCode).toBe(401)
    expect(res.json().type).toBe('https://omnia.dev/problems/unauthenticated')
    expect(await webhookRows()).toEqual([])
  })
})
