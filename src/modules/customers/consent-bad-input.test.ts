import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { consentCounts } from './testing.js'

type Case = [label: string, body: unknown, path: string]

const consentCases: Case[] = [
  ['an unknown channel', { channel: 'fax', purpose: 'marketing', status: 'opted_in', source: 'form' }, 'channel'],
  ['an unknown purpose', { channel: 'email', purpose: 'spam', status: 'opted_in', source: 'form' }, 'purpose'],
  ['an unknown status', { channel: 'email', purpose: 'marketing', status: 'maybe', source: 'form' }, 'status'],
  ['no source', { channel: 'email', purpose: 'marketing', status: 'opted_in' }, 'source'],
  ['a source with spaces', { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'the form' }, 'source'],
  ['proof that is not an object', { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'form', proof: 'yes' }, 'proof'],
  ['a huge proof', { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'form', proof: { text: 'x'.repeat(5000) } }, 'proof'],
  ['an unknown field', { channel: 'email', purpose: 'marketing', status: 'opted_in', source: 'form', at: 'now' }, ''],
]

const quiet = { start: '22:00', end: '08:00', timeZone: 'Europe/Athens' }
const preferenceCases: Case[] = [
  ['nothing to change', {}, ''],
  ['an unknown channel', { preferredChannel: 'fax' }, 'preferredChannel'],
  ['a language name instead of a tag', { language: 'English' }, 'language'],
  ['an hour past 23', { quietHours: { ...quiet, start: '24:00' } }, 'quietHours.start'],
  ['a time without minutes', { quietHours: { ...quiet, end: '8' } }, 'quietHours.end'],
  ['an unknown time zone', { quietHours: { ...quiet, timeZone: 'Mars/Olympus_Mons' } }, 'quietHours.timeZone'],
  ['an empty window', { quietHours: { ...quiet, end: '22:00' } }, 'quietHours.end'],
  ['quiet hours without a zone', { quietHours: { start: '22:00', end: '08:00' } }, 'quietHours.timeZone'],
]

const smsCases: Case[] = [
  ['no text', { from: '+306912345678' }, 'text'],
  ['no sender', { text: 'STOP' }, 'from'],
  ['a sender that is no phone', { from: 'mallory', text: 'STOP' }, 'from'],
  ['a number too short', { from: '+30 12', text: 'STOP' }, 'from'],
  ['an unknown field', { from: '+306912345678', text: 'STOP', to: '54321' }, ''],
]

describe.each(engines)('bad input on consent routes, on %s', (engine) => {
  let t: TestApp
  let id: string
  beforeAll(async () => {
    t = await startTestApp(engine)
    id = (await t.call('POST', '/v1/customers', { identities: [{ kind: 'phone', value: '6912345678' }] })).json().id
  })
  afterAll(() => t.close())

  const routes = [
    ['PUT', () => `/v1/customers/${id}/consents`, consentCases],
    ['PUT', () => `/v1/customers/${id}/preferences`, preferenceCases],
    ['POST', () => '/v1/consent/inbound-sms', smsCases],
  ] as const

  it('refuses each bad body with 400 at the field path, writing nothing', async () => {
    const before = await consentCounts(t.db)
    for (const [method, url, cases] of routes) {
      for (const [label, body, path] of cases) {
        const res = await t.call(method, url(), body)
        expect(res.statusCode, `${url()} with ${label}`).toBe(400)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        const paths = (res.json().errors ?? []).map((e: { path: string }) => e.path)
        if (path) expect(paths, `${url()} with ${label}`).toContain(path)
      }
    }
    expect(await consentCounts(t.db)).toEqual(before)
  })

  it('asks for a key and the right scope: 401 without one, 403 for a reading key', async () => {
    const analyst = await t.staffKey('analyst')
    const bodies = [consentCases, preferenceCases, smsCases].map((cases) => cases[0]![1])
    for (const [i, [method, url]] of routes.entries()) {
      expect((await t.call(method, url(), bodies[i], { key: null })).statusCode).toBe(401)
      expect((await t.call(method, url(), bodies[i], { key: analyst })).statusCode).toBe(403)
    }
    expect((await t.call('GET', `/v1/customers/${id}/consents`, undefined, { key: null })).statusCode).toBe(401)
    expect((await t.call('GET', `/v1/customers/${id}/consents`, undefined, { key: analyst })).statusCode).toBe(200)
    // A messaging channel other than SMS may not report replies.
    const email = await t.touchpointKey('email', 'newsletter')
    expect((await t.call('POST', '/v1/consent/inbound-sms', { from: '+306912345678', text: 'STOP' }, { key: email })).statusCode).toBe(403)
  })

  it('publishes every consent route in the OpenAPI document', async () => {
    const doc = (await t.call('GET', '/openapi.json')).json()
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/customers/{id}/consents', '/v1/customers/{id}/preferences', '/v1/consent/inbound-sms', '/unsubscribe']))
    expect(doc.paths['/unsubscribe'].post.security).toEqual([])
  })
})
