import { createHmac, timingSafeEqual } from 'node:crypto'
import { loadConfig } from '../../config.js'
import { ConsentChannel, ConsentPurpose } from './consent-schema.js'

export type UnsubscribeClaim = { profileId: string; channel: ConsentChannel; purpose: ConsentPurpose }

let configuredSecret: string | undefined

/** OMNIA_UNSUBSCRIBE_SECRET (or its documented default), read once. */
function unsubscribeSecret(): string {
  return (configuredSecret ??= loadConfig().unsubscribeSecret)
}

const sign = (payload: string, secret: string) => createHmac('sha256', secret).update(payload).digest('base64url')

/**
 * The token for an unsubscribe link: `<payload>.<signature>`, the payload naming profile,
 * channel and purpose (base64url), the signature HMAC-SHA256 over it. It does not expire: an
 * old email's link must still work. Rotating the secret invalidates every link sent before.
 */
export function unsubscribeToken(claim: UnsubscribeClaim, secret = unsubscribeSecret()): string {
  const payload = Buffer.from(`${claim.profileId} ${claim.channel} ${claim.purpose}`).toString('base64url')
  return `${payload}.${sign(payload, secret)}`
}

/** The claim a token carries when its signature holds; null for anything forged or garbled. */
export function readUnsubscribeToken(token: string, secret = unsubscribeSecret()): UnsubscribeClaim | null {
  const [payload, signature, extra] = token.split('.')
  if (!payload || !signature || extra !== undefined) return null
  const expected = Buffer.from(sign(payload, secret))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  const [profileId, channel, purpose, rest] = Buffer.from(payload, 'base64url').toString('utf8').split(' ')
  const parsedChannel = ConsentChannel.safeParse(channel)
  const parsedPurpose = ConsentPurpose.safeParse(purpose)
  if (!profileId || rest !== undefined || !parsedChannel.success || !parsedPurpose.success) return null
  return { profileId, channel: parsedChannel.data, purpose: parsedPurpose.data }
}
