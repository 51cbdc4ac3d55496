import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'
import { inTransaction } from '../../kernel/db/index.js'
import { canContact, inQuietHours } from './consent.js'
import type { ConsentChannel, ConsentPurpose } from './consent-schema.js'
import { simulateMerge } from './testing.js'

const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`)

describe('quiet hours', () => {
  it('treats a window and its complement as exact opposites, in any zone', () =>
    fc.assert(
      fc.property(hhmm, hhmm, fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }), fc.constantFrom('Asia/Tehran', 'Europe/Athens', 'UTC', 'America/New_York'), (start, end, at, timeZone) => {
        fc.pre(start !== end)
        expect(inQuietHours(at, { start, end, timeZone })).toBe(!inQuietHours(at, { start: end, end: start, timeZone }))
      }),
    ))
})

describe.each(engines)('canContact on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  const ask = (id: string, channel: ConsentChannel, purpose: ConsentPurpose, at = '2026-03-01T10:00:00Z') =>
    inTransaction(t.db, (tx) => canContact(tx, id, channel, purpose, new Date(at)))
  const record = (id: string, channel: string, purpose: string, status: string) =>
    t.call('PUT', `/v1/customers/${id}/consents`, { channel, purpose, status, source: 'test-form' })
  const newCustomer = async (email: string) => (await t.call('POST', '/v1/customers', { identities: [{ kind: 'email', value: email }] })).json().id as string

  it('lets transactional messages through unless opted out, and marketing only with an opt-in', async () => {
    const none = await newCustomer('none@example.gr')
    const optedIn = await newCustomer('in@example.gr')
    const optedOut = await newCustomer('out@example.gr')
    for (const purpose of ['marketing', 'transactional']) {
      await record(optedIn, 'email', purpose, 'opted_in')
      await record(optedOut, 'email', purpose, 'opted_out')
    }
    const matrix = [
      [none, 'transactional', { allowed: true, reason: 'transactional' }],
      [none, 'marketing', { allowed: false, reason: 'no-opt-in' }],
      [optedIn, 'transactional', { allowed: true, reason: 'opted-in' }],
      [optedIn, 'marketing', { allowed: true, reason: 'opted-in' }],
      [optedOut, 'transactional', { allowed: false, reason: 'opted-out' }],
      [optedOut, 'marketing', { allowed: false, reason: 'opted-out' }],
    ] as const
    for (const [id, purpose, verdict] of matrix) expect(await ask(id, 'email', purpose), `${id} ${purpose}`).toEqual(verdict)
    // A choice on one channel says nothing about another.
    expect(await ask(optedIn, 'sms', 'marketing')).toEqual({ allowed: false, reason: 'no-opt-in' })
    expect(await ask(optedOut, 'sms', 'transactional')).toEqual({ allowed: true, reason: 'transactional' })
  })

  it('holds marketing during quiet hours read in the customer\'s time zone, never transactional', async () => {
    const id = await newCustomer('reza@example.ir')
    await record(id, 'sms', 'marketing', 'opted_in')
    await t.call('PUT', `/v1/customers/${id}/preferences`, { quietHours: { start: '22:00', end: '08:00', timeZone: 'Asia/Tehran' } })
    // Tehran is UTC+03:30: 18:00Z is 21:30 there (Athens: 20:00), 19:00Z is 22:30 (Athens: 21:00).
    expect(await ask(id, 'sms', 'marketing', '2026-03-01T18:00:00Z')).toEqual({ allowed: true, reason: 'opted-in' })
    expect(await ask(id, 'sms', 'marketing', '2026-03-01T19:00:00Z')).toEqual({ allowed: false, reason: 'quiet-hours' })
    expect(await ask(id, 'sms', 'transactional', '2026-03-01T19:00:00Z')).toEqual({ allowed: true, reason: 'transactional' })
    // 04:29Z is 07:59 in Tehran, still quiet; 04:30Z is 08:00, the window's open end.
    expect(await ask(id, 'sms', 'marketing', '2026-03-02T04:29:00Z')).toEqual({ allowed: false, reason: 'quiet-hours' })
    expect(await ask(id, 'sms', 'marketing', '2026-03-02T04:30:00Z')).toEqual({ allowed: true, reason: 'opted-in' })
    // The same instants read in Athens (UTC+02:00) fall the other way.
    await t.call('PUT', `/v1/customers/${id}/preferences`, { quietHours: { start: '22:00', end: '08:00', timeZone: 'Europe/Athens' } })
    expect(await ask(id, 'sms', 'marketing', '2026-03-01T19:00:00Z')).toEqual({ allowed: true, reason: 'opted-in' })
    expect(await ask(id, 'sms', 'marketing', '2026-03-02T05:30:00Z')).toEqual({ allowed: false, reason: 'quiet-hours' })
  })

  it('answers for the survivor when asked about a merged profile, and refuses an unknown one', async () => {
    const survivor = await newCustomer('eleni@example.gr')
    const loser = await newCustomer('eleni.k@example.gr')
    await record(loser, 'push', 'marketing', 'opted_in')
    await simulateMerge(t.db, loser, survivor)
    expect(await ask(survivor, 'push', 'marketing')).toEqual({ allowed: true, reason: 'opted-in' })
    expect(await ask(loser, 'push', 'marketing')).toEqual({ allowed: true, reason: 'opted-in' })
    await expect(ask('cus_unknown', 'push', 'marketing')).rejects.toMatchObject({ kind: 'not-found' })
  })
})
