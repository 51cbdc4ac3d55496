import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../../test/support/app.js'
import { engines } from '../../../test/support/engines.js'

const store = (code: string, shipFrom = true) => ({
  code,
  name: `Store ${code}`,
  kind: 'store',
  address: { line1: '1 Ermou St', city: 'Athens', country: 'GR' },
  geo: { lat: 37.9755, lng: 23.7348 },
  capabilities: { shipFrom, pickup: true, acceptReturns: true },
})

describe.each(engines)('channels and locations on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  it('creates a POS channel at a store and its key works once, for reading only what it may', async () => {
    expect((await t.call('POST', '/v1/locations', store('ath-1'))).statusCode).toBe(201)
    const created = await t.call('POST', '/v1/channels', { code: 'pos-ath-1', name: 'Athens till', kind: 'pos', location: 'ath-1' })
    expect(created.statusCode).toBe(201)
    const body = created.json()
    expect(body).toMatchObject({ code: 'pos-ath-1', kind: 'pos', location: 'ath-1' })
    expect(body.apiKey).toMatch(/^omk_/)
    const asPos = await t.call('GET', '/v1/locations/ath-1', undefined, { key: body.apiKey })
    expect(asPos.statusCode).toBe(200)
    const forbidden = await t.call('POST', '/v1/locations', store('ath-2'), { key: body.apiKey })
    expect(forbidden.statusCode).toBe(403)
    const keys = (await t.call('GET', '/v1/keys')).json().data
    expect(JSON.stringify(keys)).not.toContain(body.apiKey)
  })

  it('refuses a POS channel without a store, or at an unknown store, naming the field', async () => {
    const noStore = await t.call('POST', '/v1/channels', { code: 'pos-x', name: 'x', kind: 'pos' })
    expect(noStore.statusCode).toBe(400)
    expect(noStore.json().errors).toEqual([expect.objectContaining({ path: 'location' })])
    const unknown = await t.call('POST', '/v1/channels', { code: 'pos-x', name: 'x', kind: 'pos', location: 'nowhere' })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().errors).toEqual([expect.objectContaining({ path: 'location' })])
    expect((await t.call('GET', '/v1/channels')).json().data).toEqual([])
  })

  it('refuses a second channel with the same code', async () => {
    const body = { code: 'web', name: 'Website', kind: 'web' }
    expect((await t.call('POST', '/v1/channels', body)).statusCode).toBe(201)
    const again = await t.call('POST', '/v1/channels', body)
    expect(again.statusCode).toBe(409)
    expect(again.json().type).toBe('https://omnia.dev/problems/already-exists')
  })

  it('revokes and expires keys: the key stops working', async () => {
    const created = (await t.call('POST', '/v1/keys', { role: 'clerk', name: 'Maria' })).json()
    expect((await t.call('GET', '/v1/locations', undefined, { key: created.apiKey })).statusCode).toBe(200)
    expect((await t.call('POST', `/v1/keys/${created.prefix}/revoke`)).json().revokedAt).not.toBeNull()
    expect((await t.call('GET', '/v1/locations', undefined, { key: created.apiKey })).statusCode).toBe(401)

    const other = (await t.call('POST', '/v1/keys', { role: 'agent', name: 'Ali' })).json()
    await t.call('PATCH', `/v1/keys/${other.id}`, { expiresAt: '2026-03-01T11:00:00Z' })
    expect((await t.call('GET', '/v1/locations', undefined, { key: other.apiKey })).statusCode).toBe(200)
    t.clock.advance(2 * 3600_000)
    t.app.forgetPrincipals()
    expect((await t.call('GET', '/v1/locations', undefined, { key: other.apiKey })).statusCode).toBe(401)
  })

  it('records who changed a location, with before and after', async () => {
    const manager = await t.staffKey('manager')
    await t.call('POST', '/v1/locations', store('ath-1'), { key: manager })
    await t.call('PATCH', '/v1/locations/ath-1', { capabilities: { shipFrom: false } }, { key: manager })
    const audit = (await t.call('GET', '/v1/audit?resource=location')).json().data
    expect(audit).toHaveLength(2)
    expect(audit[0]).toMatchObject({ action: 'location.updated', actor: 'manager:test manager' })
    expect(audit[0].before.capabilities.shipFrom).toBe(true)
    expect(audit[0].after.capabilities.shipFrom).toBe(false)
  })

  it('updates a location and lists by capability', async () => {
    await t.call('POST', '/v1/locations', store('ath-1'))
    await t.call('POST', '/v1/locations', store('ath-2', false))
    const shipping = (await t.call('GET', '/v1/locations?capability=shipFrom')).json().data
    expect(shipping.map((l: { code: string }) => l.code)).toEqual(['ath-1'])
    const missing = await t.call('PATCH', '/v1/locations/nowhere', { name: 'x' })
    expect(missing.statusCode).toBe(404)
  })
})
