import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { systemClock } from '../../kernel/clock.js'
import { outcomeOfCard, testTokens } from './cards.js'
import { signPayload } from './signature.js'

/**
 * A small card provider speaking the shape of Stripe's PaymentIntents API (form-encoded bodies,
 * `Idempotency-Key`, `{error: {type, code, decline_code, message}}`, signed webhooks), with
 * Stripe's test card numbers. It keeps its own books (`captures`, `refunds`), so tests can check
 * what the provider really charged rather than what Omnia believes.
 */
export type Intent = {
  id: string
  object: 'payment_intent'
  amount: number
  currency: string
  status: 'requires_capture' | 'succeeded' | 'canceled' | 'requires_payment_method'
  capture_method: 'manual'
  amount_capturable: number
  amount_received: number
  amount_refunded: number
  card_number: string
  metadata: Record<string, string>
}

export type ProviderServerOptions = {
  port?: number
  webhookUrl?: string
  webhookSecret?: string
  now?: () => Date
}

type Answer = { status: number; body: unknown }

// A provider never sends a full card number back; it stays in the server's own books only.
const withoutCardNumber = (key: string, value: unknown) =>
  key === 'card_number' ? undefined : value

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`
const fail = (
  status: number,
  type: string,
  code: string,
  message: string,
  extra: object = {},
): Answer => ({
  status,
  body: { error: { type, code, message, ...extra } },
})

export async function startProviderServer(options: ProviderServerOptions = {}) {
  const now = options.now ?? (() => systemClock.now())
  const intents = new Map<string, Intent>()
  const captures: { intent: string; amount: number }[] = []
  const refunds: { id: string; intent: string; amount: number }[] = []
  const deliveries: { type: string; status: number }[] = []
  const pending = new Set<Promise<void>>()
  const idempotent = new Map<string, { fingerprint: string; answer: Answer }>()

  function emit(type: string, intent: Intent) {
    if (!options.webhookUrl || !options.webhookSecret) return
    const body = JSON.stringify(
      {
        id: id('evt'),
        object: 'event',
        type,
        created: Math.floor(now().getTime() / 1000),
        data: { object: intent },
      },
      withoutCardNumber,
    )
    const signature = signPayload(options.webhookSecret, body, Math.floor(now().getTime() / 1000))
    const delivery = fetch(options.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
    })
      .then((res) => void deliveries.push({ type, status: res.status }))
      .catch(() => void deliveries.push({ type, status: 0 }))
      .finally(() => pending.delete(delivery))
    pending.add(delivery)
  }

  function create(form: URLSearchParams): Answer {
    const amount = Number(form.get('amount'))
    const currency = form.get('currency')
    if (!Number.isSafeInteger(amount) || amount < 1)
      return fail(
        400,
        'invalid_request_error',
        'parameter_invalid_integer',
        'Invalid integer: amount',
        { param: 'amount' },
      )
    if (!currency)
      return fail(
        400,
        'invalid_request_error',
        'parameter_missing',
        'Missing required param: currency.',
        { param: 'currency' },
      )
    const token = form.get('payment_method')
    const number = token ? testTokens[token] : form.get('payment_method_data[card][number]')
    if (!number)
      return fail(400, 'invalid_request_error', 'resource_missing', 'No such PaymentMethod', {
        param: 'payment_method',
      })
    const metadata: Record<string, string> = {}
    for (const [k, v] of form) {
      const m = /^metadata\[(.+)\]$/.exec(k)
      if (m) metadata[m[1]!] = v
    }
    const intent: Intent = {
      id: id('pi'),
      object: 'payment_intent',
      amount,
      currency,
      status: 'requires_capture',
      capture_method: 'manual',
      amount_capturable: amount,
      amount_received: 0,
      amount_refunded: 0,
      card_number: number,
      metadata,
    }
    const refusal = outcomeOfCard(number).authorize
    if (refusal) {
      intents.set(intent.id, { ...intent, status: 'requires_payment_method', amount_capturable: 0 })
      emit('payment_intent.payment_failed', intents.get(intent.id)!)
      return fail(402, 'card_error', refusal.code, refusal.message, {
        decline_code: refusal.declineCode,
        payment_intent: intents.get(intent.id),
      })
    }
    intents.set(intent.id, intent)
    emit('payment_intent.amount_capturable_updated', intent)
    return { status: 200, body: intent }
  }

  function capture(intent: Intent, form: URLSearchParams): Answer {
    if (intent.status !== 'requires_capture')
      return fail(
        400,
        'invalid_request_error',
        'payment_intent_unexpected_state',
        `This PaymentIntent's status is ${intent.status}.`,
      )
    const amount = form.has('amount_to_capture')
      ? Number(form.get('amount_to_capture'))
      : intent.amount_capturable
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > intent.amount_capturable)
      return fail(
        400,
        'invalid_request_error',
        'amount_too_large',
        'amount_to_capture is too large',
      )
    const refusal = outcomeOfCard(intent.card_number).capture
    if (refusal) {
      intent.status = 'requires_payment_method'
      intent.amount_capturable = 0
      emit('payment_intent.payment_failed', intent)
      return fail(402, 'card_error', refusal.code, refusal.message, {
        decline_code: refusal.declineCode,
        payment_intent: intent,
      })
    }
    Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 })
    captures.push({ intent: intent.id, amount })
    emit('payment_intent.succeeded', intent)
    return { status: 200, body: intent }
  }

  function refund(form: URLSearchParams): Answer {
    const intent = intents.get(form.get('payment_intent') ?? '')
    if (!intent)
      return fail(404, 'invalid_request_error', 'resource_missing', 'No such payment_intent', {
        param: 'payment_intent',
      })
    if (intent.status !== 'succeeded')
      return fail(
        400,
        'invalid_request_error',
        'charge_not_captured',
        'This PaymentIntent has no captured charge to refund.',
      )
    const left = intent.amount_received - intent.amount_refunded
    const amount = form.has('amount') ? Number(form.get('amount')) : left
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > left)
      return fail(
        400,
        'invalid_request_error',
        'amount_too_large',
        `Refund amount is greater than the unrefunded amount (${left}).`,
      )
    intent.amount_refunded += amount
    const made = {
      id: id('re'),
      object: 'refund',
      intent: intent.id,
      amount,
      currency: intent.currency,
      status: 'succeeded',
      payment_intent: intent.id,
    }
    refunds.push({ id: made.id, intent: intent.id, amount })
    return { status: 200, body: made }
  }

  function cancel(intent: Intent): Answer {
    if (intent.status !== 'requires_capture')
      return fail(
        400,
        'invalid_request_error',
        'payment_intent_unexpected_state',
        `This PaymentIntent's status is ${intent.status}.`,
      )
    Object.assign(intent, { status: 'canceled', amount_capturable: 0 })
    emit('payment_intent.canceled', intent)
    return { status: 200, body: intent }
  }

  function route(method: string, path: string, form: URLSearchParams): Answer {
    if (method === 'POST' && path === '/v1/payment_intents') return create(form)
    if (method === 'POST' && path === '/v1/refunds') return refund(form)
    const m = /^\/v1\/payment_intents\/([^/]+)(?:\/(capture|cancel))?$/.exec(path)
    const intent = m ? intents.get(m[1]!) : undefined
    if (!m || !intent)
      return fail(404, 'invalid_request_error', 'resource_missing', `No such resource: ${path}`)
    if (method === 'GET' && !m[2]) return { status: 200, body: intent }
    if (method === 'POST' && m[2] === 'capture') return capture(intent, form)
    if (method === 'POST' && m[2] === 'cancel') return cancel(intent)
    return fail(404, 'invalid_request_error', 'resource_missing', `No such resource: ${path}`)
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const path = new URL(req.url ?? '/', 'http://provider').pathname
    const key = req.headers['idempotency-key']
    const fingerprint = `${req.method} ${path} ${raw}`
    let answer: Answer
    const stored =
      typeof key === 'string' && req.method === 'POST' ? idempotent.get(key) : undefined
    if (stored && stored.fingerprint !== fingerprint) {
      answer = fail(
        400,
        'idempotency_error',
        'idempotency_key_in_use',
        'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      )
    } else if (stored) {
      answer = stored.answer
      res.setHeader('idempotent-replayed', 'true')
    } else {
      answer = route(req.method ?? 'GET', path, new URLSearchParams(raw))
      if (typeof key === 'string' && req.method === 'POST')
        idempotent.set(key, { fingerprint, answer: structuredClone(answer) })
    }
    res
      .writeHead(answer.status, { 'content-type': 'application/json' })
      .end(JSON.stringify(answer.body, withoutCardNumber))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end())
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    intents,
    captures,
    refunds,
    deliveries,
    /** Forgets every intent, refund, capture, delivery and idempotency key (between tests). */
    reset() {
      for (const books of [intents, idempotent]) books.clear()
      for (const books of [captures, refunds, deliveries]) books.length = 0
    },
    /** Resolves once every webhook delivery started so far has been answered. */
    async deliveriesSettled() {
      while (pending.size > 0) await Promise.all([...pending])
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export type ProviderServer = Awaited<ReturnType<typeof startProviderServer>>

// `tsx src/adapters/payment-test/server.ts` runs it alone (PORT, WEBHOOK_URL, WEBHOOK_SECRET).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env
  const started = await startProviderServer({
    port: Number(env.PORT ?? 4242),
    ...(env.WEBHOOK_URL && { webhookUrl: env.WEBHOOK_URL }),
    ...(env.WEBHOOK_SECRET && { webhookSecret: env.WEBHOOK_SECRET }),
  })
  console.log(`test payment provider listening on ${started.url}`)
}
