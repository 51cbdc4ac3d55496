import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { unsubscribeToken } from './consent-token.js'
import { consentCounts } from './testing.js'

const smsMarketing = async (t: TestApp, id: string) =>
  (await t.call('GET', `/v1/customers/${id}/consents`)).json().consents.find((c: { channel: string; purpose: string }) => c.channel === 'sms' && c.purpose === 'marketing')?.status ?? null

describe.each(engines)('STOP replies and unsubscribe links on %s', (engine) => {
  let t: TestApp
  let sms: string
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    await t.reset()
    sms = await t.touchpointKey('sms', 'sms-gateway')
  })

  const reply = (from: string, text: string) => t.call('POST', '/v1/consent/inbound-sms', { from, text }, { key: sms })

  it.each([
    ['a Greek number', { value: '691 234 5678' }, '+30 691 234 5678'],
    ['an Iranian number', { value: '0912 345 6789', region: 'IR' }, '00989123456789'],
  ])('opts %s out with STOP and back in with START, whatever the case', async (_label, phone, from) => {
    const id = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'phone', ...phone }] })).json().id
    await t.call('PUT', `/v1/customers/${id}/consents`, { channel: 'sms', purpose: 'marketing', status: 'opted_in', source: 'store-form' })
    const stop = await reply(from, ' stop ')
    expect(stop.statusCode).toBe(200)
    expect(stop.json()).toEqual({ keyword: 'stop', profileId: id, status: 'opted_out' })
    expect(await smsMarketing(t, id)).toBe('opted_out')
    expect((await reply(from, 'HELP')).json()).toEqual({ keyword: 'help', profileId: id, status: null })
    expect(await smsMarketing(t, id)).toBe('opted_out')
    expect((await reply(from, 'Start')).json().status).toBe('opted_in')
    for (const word of ['STOPALL', 'unsubscribe', 'Cancel', 'end', 'QUIT']) {
      expect((await reply(from, word)).json().status, word).toBe('opted_out')
      expect((await reply(from, 'UnStop')).json().status, word).toBe('opted_in')
    }
    const view = (await t.call('GET', `/v1/customers/${id}/consents`)).json()
    expect(view.history[0]).toMatchObject({ source: 'sms-keyword', sourceChannel: 'sms-gateway', recordedBy: 'sms:sms-gateway', proof: { text: 'UnStop' } })
  })

  it('changes nothing for a reply that is no keyword or a number no customer owns', async () => {
    const id = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'phone', value: '6912345678' }] })).json().id
    const before = await consentCounts(t.db)
    expect((await reply('+306912345678', 'please stop sending me these')).json()).toEqual({ keyword: null, profileId: id, status: null })
    expect((await reply('+306900000001', 'STOP')).json()).toEqual({ keyword: 'stop', profileId: null, status: null })
    const bad = await reply('not a phone', 'STOP')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].path).toBe('from')
    expect(await consentCounts(t.db)).toEqual(before)
  })

  it('opts out with a signed link without an API key, and the link never expires', async () => {
    const id = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'maria@example.gr' }] })).json().id
    await t.call('PUT', `/v1/customers/${id}/consents`, { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'checkout-form' })
    t.clock.advance(3 * 365 * 24 * 3600 * 1000)
    const token = unsubscribeToken({ profileId: id, channel: 'email', purpose: 'marketing' })
    const res = await t.call('POST', '/unsubscribe', { token }, { key: null })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ channel: 'email', purpose: 'marketing', status: 'opted_out' })
    const view = (await t.call('GET', `/v1/customers/${id}/consents`)).json()
    expect(view.consents).toEqual([expect.objectContaining({ status: 'opted_out', source: 'unsubscribe-link', recordedBy: 'unsubscribe-link' })])
  })

  it('refuses a tampered, forged or garbled token with 4xx, changing nothing', async () => {
    const id = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'maria@example.gr' }] })).json().id
    const other = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: 'eleni@example.gr' }] })).json().id
    await t.call('PUT', `/v1/customers/${other}/consents`, { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'checkout-form' })
    const before = await consentCounts(t.db)
    const token = unsubscribeToken({ profileId: id, channel: 'email', purpose: 'marketing' })
    const [payload, signature] = token.split('.') as [string, string]
    const otherPayload = unsubscribeToken({ profileId: other, channel: 'email', purpose: 'marketing' }).split('.')[0]
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A')
    const forged = unsubscribeToken({ profileId: other, channel: 'email', purpose: 'marketing' }, 'guessed-secret')
    for (const bad of [`${otherPayload}.${signature}`, `${payload}.${flipped}`, forged, payload, `${token}.x`, '...', 'ü']) {
      const res = await t.call('POST', '/unsubscribe', { token: bad }, { key: null })
      expect(res.statusCode, bad).toBe(400)
      expect(res.headers['content-type'], bad).toMatch(/^application\/problem\+json/)
      expect(res.json().errors[0].path, bad).toBe('token')
    }
    for (const body of [{}, { token: '' }, { token: 42 }, { token, extra: 1 }]) {
      const res = await t.call('POST', '/unsubscribe', body, { key: null })
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
    }
    const gone = unsubscribeToken({ profileId: 'cus_gone', channel: 'sms', purpose: 'marketing' })
    expect((await t.call('POST', '/unsubscribe', { token: gone }, { key: null })).statusCode).toBe(404)
    expect(await consentCounts(t.db)).toEqual(before)
    const kept = (await t.call('GET', `/v1/customers/${other}/consents`)).json().consents
    expect(kept).toEqual([expect.objectContaining({ channel: 'email', status: 'opted_in' })])
  })
})
