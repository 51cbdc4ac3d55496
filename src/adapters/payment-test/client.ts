import {
  ProviderUnavailable,
  type AuthorizeRequest,
  type PaymentProvider,
  type ProviderOutcome,
  type WebhookVerdict,
} from '../../modules/payments/index.js'
import { checkSignature } from './signature.js'

export type TestProviderSettings = {
  /** Read on every call, so the process environment decides where the provider is. */
  baseUrl: () => string
  webhookSecret: () => string
  timeoutMs?: number
}

type StripeError = {
  error?: {
    code?: string
    decline_code?: string
    message?: string
    payment_intent?: { id?: string }
  }
}

/**
 * The payment provider port over HTTP, speaking Stripe's PaymentIntents format (form-encoded
 * requests, `Idempotency-Key`, manual capture). Refusals (4xx with an `error` body) are
 * outcomes; an unreachable provider, a timeout or a 5xx is `ProviderUnavailable`.
 */
export function testPaymentProvider(settings: TestProviderSettings): PaymentProvider {
  async function post(
    path: string,
    form: Record<string, string | number | undefined>,
    idempotencyKey: string,
  ) {
    const body = new URLSearchParams()
    for (const [k, v] of Object.entries(form)) if (v !== undefined) body.set(k, String(v))
    let res: Response
    try {
      res = await fetch(`${settings.baseUrl()}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': idempotencyKey,
        },
        body,
        signal: AbortSignal.timeout(settings.timeoutMs ?? 10_000),
      })
    } catch (err) {
      throw new ProviderUnavailable(`${path}: ${(err as Error).message}`, { cause: err })
    }
    const json = (await res.json().catch(() => null)) as
      (StripeError & { id?: string; payment_intent?: string }) | null
    if (res.status >= 500 || !json) throw new ProviderUnavailable(`${path} answered ${res.status}`)
    return { status: res.status, json }
  }

  function outcome(
    res: Awaited<ReturnType<typeof post>>,
    providerPaymentId: string | null,
  ): ProviderOutcome {
    if (res.status < 300) return { ok: true, providerPaymentId: providerPaymentId ?? res.json.id! }
    const e = res.json.error ?? {}
    return {
      ok: false,
      providerPaymentId: providerPaymentId ?? e.payment_intent?.id ?? null,
      code: e.code ?? 'unknown_error',
      declineCode: e.decline_code ?? null,
      message: e.message ?? `The provider refused (${res.status})`,
    }
  }

  return {
    name: 'test-provider',
    async authorize(req: AuthorizeRequest) {
      const res = await post(
        '/v1/payment_intents',
        {
          amount: req.amount.amount,
          currency: req.amount.currency.toLowerCase(),
          capture_method: 'manual',
          confirm: 'true',
          payment_method: req.token,
          ...(req.card && {
            'payment_method_data[type]': 'card',
            'payment_method_data[card][number]': req.card.number,
            'payment_method_data[card][exp_month]': req.card.expMonth,
            'payment_method_data[card][exp_year]': req.card.expYear,
            'payment_method_data[card][cvc]': req.card.cvc,
          }),
          'metadata[omnia_payment_id]': req.paymentId,
        },
        req.idempotencyKey,
      )
      return outcome(res, null)
    },
    async capture(req) {
      const path = `/v1/payment_intents/${encodeURIComponent(req.providerPaymentId)}/capture`
      return outcome(
        await post(path, { amount_to_capture: req.amount.amount }, req.idempotencyKey),
        req.providerPaymentId,
      )
    },
    async refund(req) {
      const res = await post(
        '/v1/refunds',
        { payment_intent: req.providerPaymentId, amount: req.amount.amount },
        req.idempotencyKey,
      )
      const result = outcome(res, req.providerPaymentId)
      return result.ok ? { ...result, providerRefundId: res.json.id! } : result
    },
    async void(req) {
      const path = `/v1/payment_intents/${encodeURIComponent(req.providerPaymentId)}/cancel`
      return outcome(await post(path, {}, req.idempotencyKey), req.providerPaymentId)
    },
    verifyWebhook(rawBody, header, now): WebhookVerdict {
      const check = checkSignature(settings.webhookSecret(), rawBody, header, now)
      if (!check.ok) return check
      let event: {
        id?: unknown
        type?: unknown
        data?: { object?: { id?: unknown; metadata?: Record<string, unknown> } }
      }
      try {
        event = JSON.parse(rawBody)
      } catch {
        return { ok: false, reason: 'body is not JSON' }
      }
      const object = event.data?.object
      if (
        typeof event.id !== 'string' ||
        typeof event.type !== 'string' ||
        typeof object?.id !== 'string'
      ) {
        return { ok: false, reason: 'not an event' }
      }
      const paymentId = object.metadata?.omnia_payment_id
      return {
        ok: true,
        event: {
          id: event.id,
          type: event.type,
          providerPaymentId: object.id,
          paymentId: typeof paymentId === 'string' ? paymentId : null,
        },
      }
    },
  }
}
