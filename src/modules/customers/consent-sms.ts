import type { Clock } from '../../kernel/clock.js'
import { validationFailed } from '../../kernel/errors.js'
import { recordConsent, type ConsentTx, type Recorder } from './consent.js'
import type { InboundSmsBody, InboundSmsView } from './consent-schema.js'
import { normaliseIdentity } from './identities.js'
import { ownersOf } from './views.js'

// The carrier keywords (CTIA, and what SMS gateways honour); the whole reply must be the word.
const keywords: Record<string, 'stop' | 'start' | 'help'> = {
  STOP: 'stop',
  STOPALL: 'stop',
  UNSUBSCRIBE: 'stop',
  CANCEL: 'stop',
  END: 'stop',
  QUIT: 'stop',
  START: 'start',
  UNSTOP: 'start',
  HELP: 'help',
}

/** The keyword a reply is, ignoring case, surrounding spaces and trailing punctuation; or null. */
export function smsKeyword(text: string): 'stop' | 'start' | 'help' | null {
  const word = text.trim().replace(/[.!]+$/, '').toUpperCase()
  return keywords[word] ?? null
}

/**
 * Applies a reply received by the SMS gateway: STOP (and its synonyms) opts the customer owning
 * the sending number out of sms marketing, START/UNSTOP opts them back in, HELP and anything
 * else change nothing. The number is normalised as customer phones are (E.164, default region
 * for national numbers); an invalid one is `validation-failed` at `from`. A number no customer
 * owns changes nothing. The reply itself is kept as proof. Events: see `recordConsent`.
 */
export async function applySmsReply(tx: ConsentTx, clock: Clock, input: InboundSmsBody, recorder: Recorder): Promise<InboundSmsView> {
  const phone = normaliseIdentity({ kind: 'phone', value: input.from })
  if ('error' in phone) throw validationFailed([{ path: 'from', message: phone.error }])
  const keyword = smsKeyword(input.text)
  const owner = (await ownersOf(tx, [{ kind: 'phone', value: phone.value }])).get(`phone:${phone.value}`) ?? null
  if (!owner || (keyword !== 'stop' && keyword !== 'start')) return { keyword, profileId: owner, status: null }
  const result = await recordConsent(tx, clock, owner, {
    channel: 'sms',
    purpose: 'marketing',
    status: keyword === 'stop' ? 'opted_out' : 'opted_in',
    source: 'sms-keyword',
    proof: { from: phone.value, text: input.text },
    ...recorder,
  })
  return { keyword, profileId: result.profileId, status: result.consent.status }
}
