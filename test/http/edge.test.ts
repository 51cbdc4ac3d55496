import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engines } from '../support/engines.js'
import { startTestApp, type TestApp } from '../support/app.js'

const store = {
  code: 'teh-1',
  name: 'Tehran Tajrish',
  kind: 'store',
  address: { line1: 'Tajrish Sq. 1', city: 'Tehran', country: 'IR' },
  geo: { lat: 35.8044, lng: 51.4337 },
  capabilities: { shipFrom: true, pickup: true, acceptReturns: true },
}

describe.each(engines)('HTTP edge on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  it('answers liveness and readiness without a key', async () => {
    expect((await t.call('GET', '/health', undefined, { key: null })).json()).toEqual({ status: 'ok' })
    const ready = await t.call('GET', '/ready', undefined, { key: null })
    expect(ready.statusCode).toBe(200)
    expect(ready.json().status).toBe('ready')
  })

  it('publishes an OpenAPI 3.1 document naming the routes', async () => {
    const doc = (await t.call('GET', '/openapi.json', undefined, { key: null })).json()
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toContain('/v1/locations')
  })

  it('refuses a request without a key with 401 problem+json', async () => {
    const res = await t.call('GET', '/v1/locations', undefined, { key: null })
    expect(res.statusCode).toBe(401)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ type: 'https://omnia.dev/problems/unauthenticated', status: 401 })
  })

  it('refuses a key without the scope with 403', async () => {
    const marketer = await t.staffKey('marketer')
    const res = await t.call('POST', '/v1/locations', store, { key: marketer })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ type: 'https://omnia.dev/problems/forbidden', requiredScope: 'locations:write' })
  })

  it('answers 404 for unknown routes and 405 with Allow for wrong methods', async () => {
    const missing = await t.call('GET', '/v1/nothing-here')
    expect(missing.statusCode).toBe(404)
    expect(missing.json().type).toBe('https://omnia.dev/problems/not-found')
    const wrong = await t.call('DELETE', '/v1/locations')
    expect(wrong.statusCode).toBe(405)
    expect(wrong.headers.allow).toContain('POST')
    expect(wrong.json().type).toBe('https://omnia.dev/problems/method-not-allowed')
  })

  it('answers 400 for malformed JSON and 413 for a huge body, writing nothing', async () => {
    const bad = await t.call('POST', '/v1/locations', '{"code": "x",', { headers: { 'content-type': 'application/json' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().type).toBe('https://omnia.dev/problems/malformed-request')
    const huge = await t.call('POST', '/v1/locations', { ...store, name: 'x'.repeat(2 * 1024 * 1024) })
    expect(huge.statusCode).toBe(413)
    expect(huge.json().type).toBe('https://omnia.dev/problems/payload-too-large')
    expect((await t.call('GET', '/v1/locations')).json().data).toEqual([])
  })

  it('names every bad field by its path, unknown fields included', async () => {
    const res = await t.call('POST', '/v1/locations', { ...store, geo: { lat: 'north', lng: 51 }, colour: 'red', code: undefined })
    expect(res.statusCode).toBe(400)
    const paths = res.json().errors.map((e: { path: string }) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['geo.lat', 'colour', 'code']))
  })

  it('replays an idempotent write and refuses the key with another body', async () => {
    const headers = { 'idempotency-key': 'loc-create-1' }
    const first = await t.call('POST', '/v1/locations', store, { headers })
    const again = await t.call('POST', '/v1/locations', store, { headers })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    expect(again.headers['idempotent-replayed']).toBe('true')
    const other = await t.call('POST', '/v1/locations', { ...store, code: 'teh-2' }, { headers })
    expect(other.statusCode).toBe(409)
    expect(other.json().type).toBe('https://omnia.dev/problems/idempotency-key-reused')
  })
})
