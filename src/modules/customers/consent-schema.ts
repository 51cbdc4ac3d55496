import { z } from 'zod'

/** Where a message can reach a person. Stored, so values are permanent; new ones go at the end. */
export const ConsentChannel = z.enum(['email', 'sms', 'push', 'whatsapp', 'social', 'phone'])
export type ConsentChannel = z.infer<typeof ConsentChannel>

/** Why a message is sent: marketing needs an opt-in, transactional only respects an opt-out. */
export const ConsentPurpose = z.enum(['marketing', 'transactional'])
export type ConsentPurpose = z.infer<typeof ConsentPurpose>

export const ConsentStatus = z.enum(['opted_in', 'opted_out'])
export type ConsentStatus = z.infer<typeof ConsentStatus>

const Source = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9._:-]{0,63}$/, 'must be a short label such as checkout-form')

const Proof = z
  .record(z.string().max(64), z.json())
  .refine((p) => JSON.stringify(p).length <= 4096, 'must be at most 4096 characters as JSON')
  .describe('What shows the choice was made: form text, IP address, double-opt-in token …')

export const RecordConsentBody = z
  .strictObject({
    channel: ConsentChannel,
    purpose: ConsentPurpose,
    status: ConsentStatus,
    source: Source,
    proof: Proof.optional(),
  })
  .meta({ id: 'RecordConsent' })
export type RecordConsentBody = z.infer<typeof RecordConsentBody>

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return zone.length <= 64
  } catch {
    return false
  }
}

export const QuietHours = z
  .strictObject({
    start: hhmm,
    end: hhmm,
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Athens'),
  })
  .refine((q) => q.start !== q.end, { path: ['end'], message: 'must differ from start' })
  .meta({ id: 'QuietHours' })
export type QuietHours = z.infer<typeof QuietHours>

export const Language = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as en, fa or el')

export const UpdatePreferencesBody = z
  .strictObject({
    preferredChannel: ConsentChannel.nullable().optional(),
    language: Language.nullable().optional(),
    quietHours: QuietHours.nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'must change at least one preference')
  .meta({ id: 'UpdatePreferences' })
export type UpdatePreferencesBody = z.infer<typeof UpdatePreferencesBody>

export const ConsentView = z
  .object({
    channel: ConsentChannel,
    purpose: ConsentPurpose,
    status: ConsentStatus,
    source: z.string(),
    sourceChannel: z.string().nullable(),
    recordedBy: z.string(),
    proof: z.json().nullable(),
    changedAt: z.string(),
  })
  .meta({ id: 'Consent' })
export type ConsentView = z.infer<typeof ConsentView>

export const PreferencesView = z
  .object({
    preferredChannel: ConsentChannel.nullable(),
    language: z.string().nullable(),
    quietHours: QuietHours.nullable(),
  })
  .meta({ id: 'Preferences' })
export type PreferencesView = z.infer<typeof PreferencesView>

export const ConsentsView = z
  .object({
    profileId: z.string(),
    consents: z.array(ConsentView),
    preferences: PreferencesView,
    history: z.array(ConsentView).describe('Every recorded choice, newest first (at most 100)'),
  })
  .meta({ id: 'Consents' })
export type ConsentsView = z.infer<typeof ConsentsView>

export const InboundSmsBody = z
  .strictObject({
    from: z.string().min(3).max(40).describe('The sender, ideally E.164 (+306912345678)'),
    text: z.string().max(1600),
  })
  .meta({ id: 'InboundSms' })
export type InboundSmsBody = z.infer<typeof InboundSmsBody>

export const InboundSmsView = z
  .object({
    keyword: z.enum(['stop', 'start', 'help']).nullable(),
    profileId: z.string().nullable().describe('The customer owning the number; null when none does'),
    status: ConsentStatus.nullable().describe('sms marketing consent after the reply; null when unchanged'),
  })
  .meta({ id: 'InboundSmsOutcome' })
export type InboundSmsView = z.infer<typeof InboundSmsView>

export const UnsubscribeBody = z.strictObject({ token: z.string().min(1).max(512) }).meta({ id: 'Unsubscribe' })

export const UnsubscribeView = z
  .object({ channel: ConsentChannel, purpose: ConsentPurpose, status: z.literal('opted_out') })
  .meta({ id: 'Unsubscribed' })
export type UnsubscribeView = z.infer<typeof UnsubscribeView>
