import { actorOf, channelOf, recordAudit, type Principal } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { notFound, validationFailed } from '../../kernel/errors.js'
import { sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { Problem } from '../../kernel/http/problem-schema.js'
import { listConsents, recordConsent, updatePreferences, type Recorder } from './consent.js'
import {
  ConsentsView,
  ConsentView,
  InboundSmsBody,
  InboundSmsView,
  PreferencesView,
  RecordConsentBody,
  UnsubscribeBody,
  UnsubscribeView,
  UpdatePreferencesBody,
} from './consent-schema.js'
import { applySmsReply } from './consent-sms.js'
import { readUnsubscribeToken } from './consent-token.js'
import { CustomerParams } from './schema.js'
import { survivorsOf } from './views.js'

const tags = ['customers']

const recorderOf = (principal: Principal): Recorder => ({ sourceChannel: channelOf(principal), recordedBy: actorOf(principal) })

/** Consent and preferences: staff and touchpoints under /v1, the signed unsubscribe link outside. */
export const consentRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.get(
    '/v1/customers/:id/consents',
    { schema: { tags, params: CustomerParams, response: { 200: ConsentsView } }, config: { scope: 'customers:read' } },
    async (req) => inTransaction(db, (tx) => listConsents(tx, req.params.id)),
  )
  app.put(
    '/v1/customers/:id/consents',
    {
      schema: { tags, params: CustomerParams, body: RecordConsentBody, response: { 200: ConsentView } },
      config: { scope: 'customers:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const result = await recordConsent(tx, clock, req.params.id, { ...req.body, ...recorderOf(req.principal) })
        const audit = { action: 'customer.consent_recorded', resource: 'customer', resourceId: result.profileId, before: result.before, after: result.consent }
        await recordAudit(crossModule(tx), clock, req.principal, audit, req.id)
        return result.consent
      }),
  )
  app.put(
    '/v1/customers/:id/preferences',
    {
      schema: { tags, params: CustomerParams, body: UpdatePreferencesBody, response: { 200: PreferencesView } },
      config: { scope: 'customers:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const result = await updatePreferences(tx, clock, req.params.id, req.body, recorderOf(req.principal))
        const audit = { action: 'customer.preferences_changed', resource: 'customer', resourceId: result.profileId, before: result.before, after: result.after }
        await recordAudit(crossModule(tx), clock, req.principal, audit, req.id)
        return result.after
      }),
  )
  app.post(
    '/v1/consent/inbound-sms',
    {
      schema: {
        tags,
        description: 'A reply the SMS gateway received: STOP/START keywords change sms marketing consent.',
        body: InboundSmsBody,
        response: { 200: InboundSmsView },
      },
      config: { scope: 'customers:write' },
    },
    (req, reply) => sendWrite(req, reply, deps, 200, (tx) => applySmsReply(tx, clock, req.body, recorderOf(req.principal))),
  )
  // Outside /v1 on purpose: the person clicking an email's link has no API key; the signed token
  // is the authority, and it can only ever opt out.
  app.post(
    '/unsubscribe',
    {
      schema: {
        tags,
        description: 'Opts out with the signed token of an unsubscribe link; needs no API key.',
        security: [],
        body: UnsubscribeBody,
        response: { 200: UnsubscribeView, '4XX': Problem },
      },
    },
    async (req) => {
      const claim = readUnsubscribeToken(req.body.token)
      if (!claim) throw validationFailed([{ path: 'token', message: 'is not a valid unsubscribe token' }])
      const { channel, purpose } = claim
      await inTransaction(db, async (tx) => {
        if (!(await survivorsOf(tx, [claim.profileId])).has(claim.profileId)) throw notFound('customer', claim.profileId)
        await recordConsent(tx, clock, claim.profileId, {
          channel,
          purpose,
          status: 'opted_out',
          source: 'unsubscribe-link',
          sourceChannel: null,
          recordedBy: 'unsubscribe-link',
        })
      })
      return { channel, purpose, status: 'opted_out' as const }
    },
  )
}
