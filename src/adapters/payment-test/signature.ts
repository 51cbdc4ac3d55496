import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signatures in the format of Stripe's `Stripe-Signature` header: `t=<unix seconds>,
 * v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the endpoint secret>`.
 */
export function signPayload(secret: string, body: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
  return `t=${timestamp},v1=${digest}`
}

/** Checks a signature header and its age; answers a reason instead of throwing. */
export function checkSignature(
  secret: string,
  body: string,
  header: string | undefined,
  now: Date,
  toleranceSeconds = 300,
): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'no signature header' }
  const parts = header.split(',').map((p) => p.split('=', 2) as [string, string | undefined])
  const t = Number(parts.find(([k]) => k === 't')?.[1])
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v!)
  if (!Number.isInteger(t) || signatures.length === 0)
    return { ok: false, reason: 'malformed signature header' }
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds)
    return { ok: false, reason: 'timestamp outside the tolerance' }
  const expected = Buffer.from(signPayload(secret, body, t).split('v1=')[1]!, 'hex')
  const matches = signatures.some((s) => {
    const given = Buffer.from(s, 'hex')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
  return matches ? { ok: true } : { ok: false, reason: 'signature does not match' }
}
