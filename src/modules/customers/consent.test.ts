import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { consentCounts, customerEvents, simulateMerge } from './testing.js'

const customer = async (t: TestApp, identities: unknown[], key?: string) =>
  (await t.call('POST', '/v1/customers', { identities }, key ? { key } : {})).json().id as string

const consentEvents = async (t: TestApp) => (await customerEvents(t.db)).filter((e) => e.name === 'customer.consent_changed')

describe.each(engines)('customer consent on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  it('keeps every choice in the history and the latest as the current state, announcing real changes only', async () => {
    const web = await t.touchpointKey('web', 'web-gr')
    const id = await customer(t, [{ kind: 'email', value: 'maria@example.gr' }], web)
    const optIn = { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'checkout-form', proof: { ip: '203.0.113.7', text: 'Send me offers' } }
    const first = await t.call('PUT', `/v1/customers/${id}/consents`, optIn, { key: web })
    expect(first.statusCode).toBe(200)
    expect(first.json()).toMatchObject({ status: 'opted_in', source: 'checkout-form', sourceChannel: 'web-gr', recordedBy: 'web:web-gr', proof: optIn.proof, changedAt: '2026-03-01T10:00:00.000Z' })
    t.clock.advance(60_000)
    await t.call('PUT', `/v1/customers/${id}/consents`, { ...optIn, status: 'opted_out', source: 'preference-centre', proof: undefined })
    t.clock.advance(60_000)
    await t.call('PUT', `/v1/customers/${id}/consents`, { ...optIn, status: 'opted_out', source: 'preference-centre', proof: undefined })

    const view = (await t.call('GET', `/v1/customers/${id}/consents`)).json()
    expect(view.consents).toEqual([
      expect.objectContaining({ channel: 'email', purpose: 'marketing', status: 'opted_out', recordedBy: expect.stringMatching(/^admin:/), sourceChannel: null, changedAt: '2026-03-01T10:02:00.000Z' }),
    ])
    expect(view.history.map((h: { status: string }) => h.status)).toEqual(['opted_out', 'opted_out', 'opted_in'])
    expect(view.history[2].proof).toEqual(optIn.proof)
    const profile = (await t.call('GET', `/v1/customers/${id}`)).json()
    expect(profile.consents).toEqual(view.consents)
    expect(profile.preferences).toEqual({ preferredChannel: null, language: null, quietHours: null })
    const events = await consentEvents(t)
    expect(events.map((e) => [e.payload.status, e.payload.channel, e.channel, e.profile_id])).toEqual([
      ['opted_in', 'email', 'web-gr', id],
      ['opted_out', 'email', null, id],
    ])
  })

  it('keeps consents per channel and purpose apart', async () => {
    const id = await customer(t, [{ kind: 'phone', value: '6912345678' }])
    const put = (channel: string, purpose: string, status: string) =>
      t.call('PUT', `/v1/customers/${id}/consents`, { channel, purpose, status, source: 'store-form' })
    await put('sms', 'marketing', 'opted_in')
    await put('whatsapp', 'marketing', 'opted_out')
    await put('sms', 'transactional', 'opted_out')
    const view = (await t.call('GET', `/v1/customers/${id}/consents`)).json()
    expect(view.consents.map((c: { channel: string; purpose: string; status: string }) => `${c.channel}/${c.purpose}=${c.status}`)).toEqual([
      'sms/marketing=opted_in',
      'sms/transactional=opted_out',
      'whatsapp/marketing=opted_out',
    ])
  })

  it('changes preferences field by field, clears with null and announces the change', async () => {
    const id = await customer(t, [{ kind: 'email', value: 'reza@example.ir' }])
    const quietHours = { start: '22:00', end: '08:00', timeZone: 'Asia/Tehran' }
    const set = await t.call('PUT', `/v1/customers/${id}/preferences`, { preferredChannel: 'sms', language: 'fa', quietHours })
    expect(set.statusCode).toBe(200)
    expect(set.json()).toEqual({ preferredChannel: 'sms', language: 'fa', quietHours })
    const partial = await t.call('PUT', `/v1/customers/${id}/preferences`, { language: 'en' })
    expect(partial.json()).toEqual({ preferredChannel: 'sms', language: 'en', quietHours })
    const cleared = await t.call('PUT', `/v1/customers/${id}/preferences`, { quietHours: null })
    expect(cleared.json()).toEqual({ preferredChannel: 'sms', language: 'en', quietHours: null })
    await t.call('PUT', `/v1/customers/${id}/preferences`, { language: 'en' })
    expect((await t.call('GET', `/v1/customers/${id}/consents`)).json().preferences).toEqual(cleared.json())
    expect((await t.call('GET', `/v1/customers/${id}`)).json().preferences).toEqual(cleared.json())
    const events = (await customerEvents(t.db)).filter((e) => e.name === 'customer.preferences_changed')
    expect(events.map((e) => e.payload.language)).toEqual(['fa', 'en', 'en'])
    expect(events[2]!.payload).toMatchObject({ profileId: id, quietHours: null })
  })

  it('reads and writes through a merged profile to the survivor, keeping choices made before the merge', async () => {
    const survivor = await customer(t, [{ kind: 'email', value: 'eleni@example.gr' }])
    const loser = await customer(t, [{ kind: 'phone', value: '6987654321' }])
    await t.call('PUT', `/v1/customers/${loser}/consents`, { channel: 'sms', purpose: 'marketing', status: 'opted_in', source: 'pos-form' })
    await t.call('PUT', `/v1/customers/${loser}/preferences`, { language: 'el' })
    await simulateMerge(t.db, loser, survivor)
    const viaLoser = (await t.call('GET', `/v1/customers/${loser}/consents`)).json()
    expect(viaLoser).toMatchObject({ profileId: survivor, preferences: { language: 'el' }, consents: [{ channel: 'sms', status: 'opted_in' }] })
    t.clock.advance(1000)
    await t.call('PUT', `/v1/customers/${loser}/consents`, { channel: 'sms', purpose: 'marketing', status: 'opted_out', source: 'call-centre' })
    const viaSurvivor = (await t.call('GET', `/v1/customers/${survivor}/consents`)).json()
    expect(viaSurvivor.consents).toEqual([expect.objectContaining({ channel: 'sms', status: 'opted_out', source: 'call-centre' })])
    expect(viaSurvivor.history).toHaveLength(2)
    expect((await t.call('GET', `/v1/customers/${survivor}`)).json()).toMatchObject({ preferences: { language: 'el' }, consents: [{ status: 'opted_out' }] })
    expect((await consentEvents(t)).at(-1)!.profile_id).toBe(survivor)
  })

  it('answers 404 for an unknown customer on every consent route, writing nothing', async () => {
    const before = await consentCounts(t.db)
    expect((await t.call('GET', '/v1/customers/cus_nope/consents')).statusCode).toBe(404)
    const put = await t.call('PUT', '/v1/customers/cus_nope/consents', { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'x' })
    expect(put.statusCode).toBe(404)
    expect((await t.call('PUT', '/v1/customers/cus_nope/preferences', { language: 'el' })).statusCode).toBe(404)
    expect(await consentCounts(t.db)).toEqual(before)
  })
})
