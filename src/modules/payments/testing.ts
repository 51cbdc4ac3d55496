import {
  startProviderServer,
  testPaymentProvider,
  type ProviderServer,
} from '../../adapters/payment-test/index.js'
import type { EngineKind } from '../../kernel/db/index.js'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import type { PaymentProvider } from './port.js'

export const webhookSecret = 'whsec_payments_suite'

export const cards = {
  visa: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  failsOnCapture: '4000000000000341',
}

export const card = (number: string) => ({ number, expMonth: 12, expYear: 2030, cvc: '123' })

/**
 * The app and a real provider server on a free local port; the app reaches the provider through
 * the environment (OMNIA_PAYMENT_PROVIDER_URL), as a deployment does. With `listen`, the app
 * also listens on a free port and the provider delivers its webhooks to it.
 */
export async function startPaymentsTestApp(
  engine: EngineKind,
  options: { poolSize?: number; listen?: boolean } = {},
) {
  const t = await startTestApp(engine, options.poolSize ? { poolSize: options.poolSize } : {})
  let webhookUrl: string | undefined
  if (options.listen) {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    webhookUrl = `${address}/webhooks/payments/test-provider`
  }
  const server: ProviderServer = await startProviderServer({
    webhookSecret,
    ...(webhookUrl && { webhookUrl }),
    now: () => t.clock.now(),
  })
  process.env.OMNIA_PAYMENT_PROVIDER_URL = server.url
  process.env.OMNIA_PAYMENT_WEBHOOK_SECRET = webhookSecret
  const provider: PaymentProvider = testPaymentProvider({
    baseUrl: () => server.url,
    webhookSecret: () => webhookSecret,
  })
  return {
    t,
    server,
    provider,
    async close() {
      await server.close()
      await t.close()
    },
  }
}

export type PaymentsTestApp = Awaited<ReturnType<typeof startPaymentsTestApp>>

export function pay(
  t: TestApp,
  body: object,
  options: { key?: string; idempotencyKey?: string } = {},
) {
  return t.call('POST', '/v1/payments', body, {
    ...(options.key && { key: options.key }),
    ...(options.idempotencyKey && { headers: { 'idempotency-key': options.idempotencyKey } }),
  })
}
