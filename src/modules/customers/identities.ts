import { isSupportedCountry, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max'
import { z } from 'zod'
import { loadConfig } from '../../config.js'
import { validationFailed, type FieldError } from '../../kernel/errors.js'
import type { IdentityKind } from './schema.js'

/** An identity as stored and matched: its value normalised so one person is one row. */
export type Identity = { readonly kind: IdentityKind; readonly value: string }

export type RawIdentity = { kind: IdentityKind; value: string; region?: string | undefined }

let configuredRegion: string | undefined

/** OMNIA_DEFAULT_PHONE_REGION, read once. */
export function defaultPhoneRegion(): string {
  return (configuredRegion ??= loadConfig().defaultPhoneRegion)
}

const email = z.email()
const instagram = /^[a-z0-9._]{1,30}$/
const opaque = /^[\x21-\x7e]{1,200}$/

type Outcome = { value: string } | { error: string }

function normalisePhone(raw: string, region: string): Outcome {
  if (!isSupportedCountry(region)) return { error: `${region} is not a region phone numbers are known for` }
  if (/[a-z]/i.test(raw)) return { error: 'must be a phone number' }
  try {
    const phone = parsePhoneNumberWithError(raw, region as CountryCode)
    if (!phone.isValid()) return { error: `is not a valid phone number in ${phone.country ?? region}` }
    return { value: phone.number }
  } catch {
    return { error: 'must be a phone number' }
  }
}

/**
 * The stored form of one identity: emails trimmed, lower-cased and checked; phones in E.164
 * (libphonenumber, full metadata) read in `region` when they carry no country code; Instagram
 * handles lower-cased without `@`; other kinds are opaque tokens (trimmed, visible ASCII).
 */
export function normaliseIdentity(identity: RawIdentity, fallbackRegion = defaultPhoneRegion()): Outcome {
  const raw = identity.value.trim()
  switch (identity.kind) {
    case 'email': {
      const value = raw.toLowerCase()
      return email.safeParse(value).success ? { value } : { error: 'must be an email address' }
    }
    case 'phone':
      return normalisePhone(raw, identity.region ?? fallbackRegion)
    case 'instagram': {
      const value = raw.replace(/^@/, '').toLowerCase()
      return instagram.test(value) ? { value } : { error: 'must be an Instagram handle (letters, digits, . and _)' }
    }
    default:
      return opaque.test(raw) ? { value: raw } : { error: 'must be 1–200 visible ASCII characters' }
  }
}

/**
 * Normalises a list (`path` names it in errors, e.g. `identities`) and drops repeats, keeping
 * the first. Every invalid value is reported at once as `validation-failed` at `<path>.<i>.value`.
 */
export function normaliseIdentities(
  identities: readonly RawIdentity[],
  path = 'identities',
  fallbackRegion = defaultPhoneRegion(),
): Identity[] {
  const errors: FieldError[] = []
  const seen = new Set<string>()
  const out: Identity[] = []
  identities.forEach((identity, i) => {
    const outcome = normaliseIdentity(identity, fallbackRegion)
    if ('error' in outcome) return errors.push({ path: `${path}.${i}.value`, message: outcome.error })
    const key = `${identity.kind}:${outcome.value}`
    if (!seen.has(key)) out.push({ kind: identity.kind, value: outcome.value })
    seen.add(key)
  })
  if (errors.length > 0) throw validationFailed(errors)
  return out
}

export const identityKey = (i: Identity) => `${i.kind}:${i.value}`
