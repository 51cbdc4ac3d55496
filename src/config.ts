import { createHmac } from 'node:crypto'

/** Every setting Omnia reads, from the environment only. The README lists them with these defaults. */
export type Config = {
  port: number
  host: string
  dataDir: string
  databaseUrl: string | undefined
  poolSize: number
  adminKey: string | undefined
  demo: boolean
  logLevel: string
  bodyLimitBytes: number
  /** Base URL of the card provider's API (PaymentIntents-style). */
  paymentProviderUrl: string
  /** Secret the provider signs webhook deliveries with. */
  paymentWebhookSecret: string
  /** ISO 3166-1 alpha-2 region for phone numbers given without a country code. */
  defaultPhoneRegion: string
  /** Minutes without a change after which an active cart with lines is announced abandoned. */
  cartAbandonMinutes: number
  /** Hours a fulfilment waits in `ready_for_pickup` before it expires and its stock goes back. */
  pickupHoldHours: number
  paymentTimeoutMinutes: number
  /** Key that signs unsubscribe links (HMAC-SHA256); a link stays valid while the key is unchanged. */
  unsubscribeSecret: string
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${raw}`)
  return n
}

function region(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = (env[name] || fallback).toUpperCase()
  if (!/^[A-Z]{2}$/.test(raw)) throw new Error(`${name} must be an ISO 3166-1 alpha-2 code such as GR, not ${env[name]}`)
  return raw
}

/**
 * Without OMNIA_UNSUBSCRIBE_SECRET, links are signed with a key derived from OMNIA_ADMIN_KEY (so
 * a deployment with an admin key gets a secret no one else knows), else with a development key.
 */
function derivedUnsubscribeSecret(adminKey: string | undefined): string {
  return createHmac('sha256', 'omnia-unsubscribe').update(adminKey || 'omnia-development').digest('base64url')
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined
  return {
    port: integer(env, 'PORT', 3000),
    host: env.HOST || '0.0.0.0',
    dataDir: env.OMNIA_DATA_DIR || './data',
    databaseUrl,
    poolSize: integer(env, 'OMNIA_DB_POOL_SIZE', 10),
    adminKey: env.OMNIA_ADMIN_KEY || undefined,
    // The demo retailer loads on first start of the embedded engine unless OMNIA_DEMO=0; on a
    // PostgreSQL server (a real deployment) only when OMNIA_DEMO=1.
    demo: env.OMNIA_DEMO === undefined || env.OMNIA_DEMO === '' ? !databaseUrl : env.OMNIA_DEMO !== '0',
    logLevel: env.LOG_LEVEL || 'info',
    bodyLimitBytes: integer(env, 'OMNIA_BODY_LIMIT_BYTES', 1024 * 1024),
    // The bundled test provider (`tsx src/adapters/payment-test/server.ts`) listens here by default.
    paymentProviderUrl: env.OMNIA_PAYMENT_PROVIDER_URL || 'http://127.0.0.1:4242',
    paymentWebhookSecret: env.OMNIA_PAYMENT_WEBHOOK_SECRET || 'whsec_omnia_test',
    defaultPhoneRegion: region(env, 'OMNIA_DEFAULT_PHONE_REGION', 'GR'),
    cartAbandonMinutes: integer(env, 'OMNIA_CART_ABANDON_MINUTES', 60),
    pickupHoldHours: integer(env, 'OMNIA_PICKUP_HOLD_HOURS', 72),
    paymentTimeoutMinutes: integer(env, 'OMNIA_PAYMENT_TIMEOUT_MINUTES', 30),
    unsubscribeSecret: env.OMNIA_UNSUBSCRIBE_SECRET || derivedUnsubscribeSecret(env.OMNIA_ADMIN_KEY),
  }
}
