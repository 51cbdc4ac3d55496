import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { engines } from '../support/engines.js'

type Route = { method: string; path: string }

/** Every /v1 route, read from the OpenAPI document, so routes added later are covered too. */
function routesOf(doc: { paths: Record<string, Record<string, unknown>> }): Route[] {
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })))
}

/** Path parameters become ids that name nothing. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'does-not-exist-42')

async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>`
    select format('%I.%I', table_schema, table_name) as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema', 'public')
      and table_name not like 'kysely_migration%'`.execute(t.db)
  const union = tables.rows.map((r) => `select '${r.name}' as name, count(*)::int as n from ${r.name}`).join(' union all ')
  const counts = await sql.raw<{ name: string; n: number }>(union).execute(t.db)
  return Object.fromEntries(counts.rows.map((r) => [r.name, r.n]))
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, label: string) {
  expect(res.statusCode, label).toBeGreaterThanOrEqual(400)
  expect(res.statusCode, label).toBeLessThan(500)
  expect(String(res.headers['content-type']), label).toMatch(/^application\/problem\+json/)
  const body = res.json()
  expect(body.type, label).toMatch(/^https:\/\/omnia\.dev\/problems\/[a-z-]+$/)
  expect(body.status, label).toBe(res.statusCode)
}

describe.each(engines)('bad input on every route, on %s', (engine) => {
  let t: TestApp
  let writes: Route[]
  let reads: Route[]
  beforeAll(async () => {
    t = await startTestApp(engine)
    const routes = routesOf((await t.call('GET', '/openapi.json')).json())
    writes = routes.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method))
    reads = routes.filter((r) => r.method === 'GET')
  })
  afterAll(() => t.close())

  it('covers a real set of routes', () => {
    expect(writes.length).toBeGreaterThan(5)
    expect(reads.length).toBeGreaterThan(5)
  })

  it('answers malformed, mistyped, unknown-field and oversized bodies with 4xx problems, writing nothing', async () => {
    const before = await rowCounts(t)
    const bodies: [string, unknown, Record<string, string>?][] = [
      ['malformed JSON', '{"a": ', { 'content-type': 'application/json' }],
      ['an array', '[]', { 'content-type': 'application/json' }],
      ['a string', '"text"', { 'content-type': 'application/json' }],
      ['an empty object', {}],
      ['an unknown field', { surelyNotAField: true }],
      ['negative and fractional numbers', { quantity: -1.5, amount: -0.01, ttlSeconds: 0.5 }],
      ['a huge body', { blob: 'x'.repeat(2 * 1024 * 1024) }],
      ['form data', 'a=1&b=2', { 'content-type': 'application/x-www-form-urlencoded' }],
    ]
    for (const route of writes) {
      for (const [label, body, headers] of bodies) {
        if (route.method === 'DELETE' && label !== 'an empty object') continue
        const res = await t.call(route.method as 'POST', concrete(route.path), body, headers ? { headers } : {})
        expectProblem(res, `${route.method} ${route.path} with ${label}`)
      }
    }
    expect(await rowCounts(t)).toEqual(before)
  })

  it('never answers 5xx to random JSON on any write route', async () => {
    const before = await rowCounts(t)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), fc.jsonValue({ maxDepth: 3 }), async (route, body) => {
        const res = await t.call(route.method as 'POST', concrete(route.path), JSON.stringify(body), {
          headers: { 'content-type': 'application/json' },
        })
        expectProblem(res, `${route.method} ${route.path} with ${JSON.stringify(body).slice(0, 80)}`)
      }),
      { numRuns: 150 },
    )
    expect(await rowCounts(t)).toEqual(before)
  })

  it('answers unknown ids and garbage query strings on reads with 4xx problems, never 5xx', async () => {
    for (const route of reads) {
      const path = concrete(route.path)
      for (const query of ['', '?limit=-1', '?limit=abc', '?cursor=%%%', '?cursor=bm90LWEtY3Vyc29y&limit=1000000']) {
        const res = await t.call('GET', `${path}${query}`)
        if (res.statusCode < 400) continue // a list with no parameters may well answer 200
        expectProblem(res, `GET ${route.path}${query}`)
      }
    }
  })

  it('names each missing field as required, and each wrong one as what it should be', async () => {
    const res = await t.call('POST', '/v1/orders', { lines: [{ quantity: 'two' }], payment: {} }, {
      headers: { 'idempotency-key': 'missing-fields' },
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors).toEqual([
      { path: 'lines.0.sku', message: 'is required' },
      { path: 'lines.0.quantity', message: expect.stringMatching(/expected number, received string/) },
      { path: 'payment.method', message: 'is required' },
    ])
    const query = await t.call('GET', '/v1/customers')
    expect(query.json().errors).toEqual([{ path: 'query.identity', message: 'is required' }])
  })

  it('answers every write without a key with 401 and with a reading key with 403', async () => {
    const analyst = await t.staffKey('analyst')
    for (const route of writes) {
      const anonymous = await t.call(route.method as 'POST', concrete(route.path), {}, { key: null })
      expect(anonymous.statusCode, `${route.method} ${route.path}`).toBe(401)
      const reader = await t.call(route.method as 'POST', concrete(route.path), {}, { key: analyst })
      expect(reader.statusCode, `${route.method} ${route.path}`).toBe(403)
    }
  })
})
