import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inTransaction } from '../../kernel/db/index.js'
import { engines } from '../../../test/support/engines.js'
import { captureOperation, runStaged } from './operations.js'
import { card, cards, pay, startPaymentsTestApp, type PaymentsTestApp } from './testing.js'

const eur = (amount: number) => ({ amount, currency: 'EUR' })

async function outbox(s: PaymentsTestApp) {
  const rows = await s.t.db
    .selectFrom('kernel.outbox')
    .select(['name', 'payload'])
    .where('name', 'like', 'payment.%')
    .orderBy('id')
    .execute()
  return rows.map((r: { name: string }) => r.name)
}

describe.each(engines)('card payments through the provider on %s', (engine) => {
  let s: PaymentsTestApp
  beforeAll(async () => {
    s = await startPaymentsTestApp(engine)
  })
  afterAll(() => s.close())
  beforeEach(async () => {
    s.server.reset()
    await s.t.reset()
  })

  it('authorizes, captures, refunds part and then the rest, as the provider books it', async () => {
    const created = await pay(s.t, {
      reference: 'ord_1',
      method: 'card',
      amount: eur(5000),
      card: card(cards.visa),
    })
    expect(created.statusCode).toBe(201)
    const payment = created.json()
    expect(payment).toMatchObject({
      status: 'authorized',
      cardLast4: '4242',
      amount: eur(5000),
      provider: 'test-provider',
    })
    expect(JSON.stringify(payment)).not.toContain(cards.visa)
    const intent = s.server.intents.get(payment.providerPaymentId)!
    expect(intent).toMatchObject({ status: 'requires_capture', amount: 5000, currency: 'eur' })
    expect(intent.metadata.omnia_payment_id).toBe(payment.id)

    const captured = await s.t.call('POST', `/v1/payments/${payment.id}/capture`, {})
    expect(captured.json()).toMatchObject({ status: 'captured' })
    expect(s.server.captures).toContainEqual({ intent: payment.providerPaymentId, amount: 5000 })

    const partial = await s.t.call('POST', `/v1/payments/${payment.id}/refund`, { amount: 1500 })
    expect(partial.json()).toMatchObject({ status: 'partially_refunded', refunded: eur(1500) })
    const tooMuch = await s.t.call('POST', `/v1/payments/${payment.id}/refund`, { amount: 3501 })
    expect(tooMuch.statusCode).toBe(400)
    expect(tooMuch.json().errors).toEqual([
      { path: 'amount', message: 'at most 3500 is left to refund' },
    ])
    const rest = await s.t.call('POST', `/v1/payments/${payment.id}/refund`, {})
    expect(rest.json()).toMatchObject({ status: 'refunded', refunded: eur(5000) })
    expect(s.server.intents.get(payment.providerPaymentId)!.amount_refunded).toBe(5000)
    expect(s.server.refunds.map((r) => r.amount)).toEqual([1500, 3500])

    const read = (await s.t.call('GET', `/v1/payments/${payment.id}`)).json()
    expect(read.history.map((h: { kind: string }) => h.kind)).toEqual([
      'pending',
      'authorized',
      'captured',
      'refund_requested',
      'refunded',
      'refund_requested',
      'refunded',
    ])
    expect(await outbox(s)).toEqual([
      'payment.authorized',
      'payment.captured',
      'payment.refunded',
      'payment.refunded',
    ])
  })

  it.each([
    [cards.declined, 'card_declined', 'generic_decline'],
    [cards.insufficientFunds, 'card_declined', 'insufficient_funds'],
  ])(
    'answers card %s with a 402 naming the decline, and charges nothing',
    async (number, code, declineCode) => {
      const res = await pay(s.t, {
        reference: 'ord_2',
        method: 'card',
        amount: eur(900),
        card: card(number),
      })
      expect(res.statusCode).toBe(402)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      const problem = res.json()
      expect(problem).toMatchObject({
        type: 'https://omnia.dev/problems/payment-declined',
        code,
        declineCode,
      })
      const recorded = (await s.t.call('GET', `/v1/payments/${problem.paymentId}`)).json()
      expect(recorded).toMatchObject({ status: 'failed', failure: { code, declineCode } })
      expect(s.server.captures.filter((c) => c.intent === recorded.providerPaymentId)).toEqual([])
      expect(await outbox(s)).toEqual(['payment.failed'])
      const capture = await s.t.call('POST', `/v1/payments/${problem.paymentId}/capture`, {})
      expect(capture.statusCode).toBe(409)
    },
  )

  it('authorizes the card that fails at capture, then answers the capture with a 402 and marks it failed', async () => {
    const payment = (
      await pay(s.t, {
        reference: 'ord_3',
        method: 'card',
        amount: eur(700),
        token: 'pm_card_chargeCustomerFail',
      })
    ).json()
    expect(payment.status).toBe('authorized')
    const res = await s.t.call('POST', `/v1/payments/${payment.id}/capture`, {})
    expect(res.statusCode).toBe(402)
    expect(res.json()).toMatchObject({ code: 'card_declined', declineCode: 'generic_decline' })
    expect((await s.t.call('GET', `/v1/payments/${payment.id}`)).json()).toMatchObject({
      status: 'failed',
    })
    expect(s.server.captures).toEqual([])
    expect(await outbox(s)).toEqual(['payment.authorized', 'payment.failed'])
  })

  it('never charges twice when a capture is retried after its answer was lost, or sent twice at once', async () => {
    const payment = (
      await pay(s.t, {
        reference: 'ord_4',
        method: 'card',
        amount: eur(1200),
        card: card(cards.visa),
      })
    ).json()
    // The provider captures, but Omnia never hears back (the first attempt dies before settling).
    const op = captureOperation(s.t.clock, s.provider, payment.id)
    const begun = await inTransaction(s.t.db, (tx) => op.begin(tx))
    if ('done' in begun) throw new Error('expected a capture to begin')
    expect((await op.call(begun.plan))?.ok).toBe(true)
    expect((await s.t.call('GET', `/v1/payments/${payment.id}`)).json().status).toBe('authorized')
    const [a, b] = await Promise.all([
      s.t.call('POST', `/v1/payments/${payment.id}/capture`, {}),
      s.t.call('POST', `/v1/payments/${payment.id}/capture`, {}),
    ])
    expect([a.statusCode, b.statusCode]).toEqual([200, 200])
    expect(a.json().status).toBe('captured')
    expect(s.server.captures).toEqual([{ intent: payment.providerPaymentId, amount: 1200 }])
    expect(s.server.intents.get(payment.providerPaymentId)!.amount_received).toBe(1200)
    expect((await outbox(s)).filter((n) => n === 'payment.captured')).toHaveLength(1)
    // Running the whole capture again answers the captured payment without calling the provider.
    expect(
      (await runStaged(s.t.db, captureOperation(s.t.clock, s.provider, payment.id))).status,
    ).toBe('captured')
  })

  it('replays a retried POST with the same Idempotency-Key and refuses the key with another body', async () => {
    const body = { reference: 'ord_5', method: 'card', amount: eur(300), card: card(cards.visa) }
    const first = await pay(s.t, body, { idempotencyKey: 'checkout-5' })
    const again = await pay(s.t, body, { idempotencyKey: 'checkout-5' })
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json().id).toBe(first.json().id)
    expect(s.server.intents.size).toBe(1)
    const other = await pay(s.t, { ...body, amount: eur(301) }, { idempotencyKey: 'checkout-5' })
    expect(other.statusCode).toBe(409)
    expect(other.json().type).toBe('https://omnia.dev/problems/idempotency-key-reused')
  })

  it('voids an authorization at the provider, and refuses to capture it afterwards', async () => {
    const payment = (
      await pay(s.t, {
        reference: 'ord_6',
        method: 'card',
        amount: eur(800),
        card: card(cards.visa),
      })
    ).json()
    const voided = await s.t.call('POST', `/v1/payments/${payment.id}/void`, {})
    expect(voided.json().status).toBe('voided')
    expect(s.server.intents.get(payment.providerPaymentId)!.status).toBe('canceled')
    const capture = await s.t.call('POST', `/v1/payments/${payment.id}/capture`, {})
    expect(capture.statusCode).toBe(409)
    expect(capture.json()).toMatchObject({ from: 'voided', to: 'captured', allowed: [] })
  })

  it('records cash on delivery as pending and captures it when the courier marks it paid', async () => {
    const courier = await s.t.staffKey('clerk')
    const created = await pay(
      s.t,
      { reference: 'ord_7', method: 'cash_on_delivery', amount: eur(2500) },
      { key: courier },
    )
    expect(created.json()).toMatchObject({ status: 'pending', provider: null })
    const paid = await s.t.call(
      'POST',
      `/v1/payments/${created.json().id}/capture`,
      {},
      { key: courier },
    )
    expect(paid.json().status).toBe('captured')
    expect(s.server.intents.size).toBe(0)
    expect(await outbox(s)).toEqual(['payment.captured'])
  })

  it('answers a provider that cannot be reached with a 502 and keeps the payment pending for a retry', async () => {
    const url = process.env.OMNIA_PAYMENT_PROVIDER_URL
    process.env.OMNIA_PAYMENT_PROVIDER_URL = 'http://127.0.0.1:9'
    try {
      const body = { reference: 'ord_8', method: 'card', amount: eur(100), card: card(cards.visa) }
      const res = await pay(s.t, body, { idempotencyKey: 'retry-8' })
      expect(res.statusCode).toBe(502)
      const { paymentId } = res.json()
      expect((await s.t.call('GET', `/v1/payments/${paymentId}`)).json().status).toBe('pending')
      process.env.OMNIA_PAYMENT_PROVIDER_URL = url
      const retried = await pay(s.t, body, { idempotencyKey: 'retry-8' })
      expect(retried.json()).toMatchObject({ id: paymentId, status: 'authorized' })
    } finally {
      process.env.OMNIA_PAYMENT_PROVIDER_URL = url
    }
  })

  it('answers bad input with the field path and writes nothing', async () => {
    const cases: [object, string][] = [
      [{ reference: 'o', method: 'card', amount: eur(100) }, 'card'],
      [{ reference: 'o', method: 'card', amount: eur(100), card: card('42') }, 'card.number'],
      [{ reference: 'o', method: 'card', amount: eur(0), token: 'pm_card_visa' }, 'amount.amount'],
      [
        { reference: 'o', method: 'cash_on_delivery', amount: eur(100), token: 'pm_card_visa' },
        'token',
      ],
      [{ reference: 'o', method: 'store_credit', amount: eur(100) }, 'storedValueCode'],
      [{ reference: 'o', method: 'cheque', amount: eur(100) }, 'method'],
    ]
    for (const [body, path] of cases) {
      const res = await pay(s.t, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(
        res.json().errors.map((e: { path: string }) => e.path),
        JSON.stringify(body),
      ).toContain(path)
    }
    expect(await s.t.db.selectFrom('payments.payment').selectAll().execute()).toEqual([])
    expect(s.server.intents.size).toBe(0)
  })
})
