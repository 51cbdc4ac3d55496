import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../support/db.js'
import { engines } from '../support/engines.js'
import { httpRequest, ServerGroup, type Reply, type ServerOptions } from '../support/server-process.js'
import { templateDataDir } from './data-dir.js'
import { createLocation } from './fixtures.js'

describe('The embedded data folder belongs to one process', () => {
  const servers = new ServerGroup()
  // Empty on purpose: the first server also proves a first start (new cluster, migrations).
  const dataDir = mkdtempSync(join(tmpdir(), 'omnia-lifecycle-'))
  const lockFile = join(dataDir, 'omnia.lock')
  afterAll(async () => {
    await servers.stopAll()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('refuses a second process on the same folder with exit code 3 and a message naming it', async () => {
    const first = await servers.start({ dataDir })
    const second = await servers.spawn({ dataDir })
    expect(await second.exited).toEqual({ code: 3, signal: null })
    expect(second.stderr()).toContain(dataDir)
    expect(second.stderr()).toMatch(/in use by another Omnia process/)
    // The refused process took nothing away from the one that owns the folder.
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(first.pid))
    expect((await first.request('GET', '/ready', undefined, { key: null })).status).toBe(200)
    expect((await createLocation(first.url, 'still-mine')).code).toBe('still-mine')
  })

  it('shuts down on SIGTERM with exit code 0 and frees the folder for the next process', async () => {
    const [running] = await runningOn(servers, dataDir)
    expect(await running.stop()).toEqual({ code: 0, signal: null })
    expect(existsSync(lockFile)).toBe(false)
    const next = await servers.start({ dataDir })
    expect((await next.request('GET', '/v1/locations/still-mine')).status).toBe(200)
  })

  it('takes over the lock left behind by a killed process', async () => {
    const [running] = await runningOn(servers, dataDir)
    await running.kill('SIGKILL')
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(running.pid))
    const next = await servers.start({ dataDir, readyTimeoutMs: 30_000 })
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(next.pid))
    expect((await next.request('GET', '/v1/locations/still-mine')).status).toBe(200)
  })
})

describe('The demo on a first start', () => {
  const servers = new ServerGroup()
  const dataDir = mkdtempSync(join(tmpdir(), 'omnia-demo-start-'))
  afterAll(async () => {
    await servers.stopAll()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('takes card payments with no provider set up: the bundled test provider runs with it', async () => {
    const server = await servers.start({ dataDir, env: { OMNIA_DEMO: '1' }, readyTimeoutMs: 120_000 })
    expect(server.stdout()).toMatch(/Cards: the bundled test provider at http:\/\/127\.0\.0\.1:\d+/)
    const keys = JSON.parse(readFileSync(join(dataDir, 'demo-keys.json'), 'utf8'))
    const web = keys.touchpoints.web.apiKey as string
    const pay = (number: string, key: string) =>
      server.request<{ status: string; payment: { id: string } }>(
        'POST',
        '/v1/orders',
        {
          customer: { email: 'first.visit@example.com' },
          lines: [{ sku: 'AN-CND04-NAT', quantity: 1 }],
          fulfillment: { method: 'ship', address: { line1: 'Ermou 1', city: 'Athens', country: 'GR' } },
          payment: { method: 'card', card: { number, expMonth: 12, expYear: 2030, cvc: '123' } },
        },
        { key: web, headers: { 'idempotency-key': key } },
      )
    const approved = await pay('4242424242424242', 'demo-card-1')
    expect(approved.status, JSON.stringify(approved.body)).toBe(201)
    expect(approved.body.status).toBe('confirmed')
    const declined = await pay('4000000000000002', 'demo-card-2')
    expect(declined.status, JSON.stringify(declined.body)).toBe(201)
    expect(declined.body.status).toBe('payment_failed')
    expect(await server.stop()).toEqual({ code: 0, signal: null })
  })
})

/** The one server of the group still running (the scenarios above hand it on one to the next). */
async function runningOn(servers: ServerGroup, dataDir: string) {
  const owner = Number(readFileSync(join(dataDir, 'omnia.lock'), 'utf8').trim())
  const server = servers.find((s) => s.pid === owner && s.isRunning())
  if (!server) throw new Error(`no running server owns ${dataDir}`)
  return [server] as const
}

describe.each(engines)('Graceful shutdown on %s', (engine) => {
  const servers = new ServerGroup()
  let database: TestDatabase | undefined
  let dataDir: string | undefined
  let options: ServerOptions

  beforeAll(async () => {
    if (engine === 'pglite') {
      dataDir = await templateDataDir('shutdown')
      options = { dataDir }
    } else {
      database = await openTestDatabase('postgres', 1)
      options = { databaseUrl: database.url! }
    }
  })

  afterAll(async () => {
    await servers.stopAll()
    await database?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers the requests already in flight when SIGTERM arrives, keeps them, and exits 0', async () => {
    const server = await servers.start(options)
    const agent = new http.Agent({ keepAlive: true, maxSockets: 40 })
    let stopping: Promise<unknown> | undefined
    const attempts = await Promise.allSettled(
      Array.from({ length: 40 }, async (_, i) => {
        const reply: Reply = await createLocationAt(server.url, `s-${i}`, agent)
        stopping ??= server.stop()
        return reply
      }),
    )
    agent.destroy()
    expect(await stopping).toEqual({ code: 0, signal: null })
    const answered = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))
    // A request is either carried out (201), turned away while closing (503), or never accepted.
    expect(answered.map((r) => r.status).filter((s) => s !== 201 && s !== 503)).toEqual([])
    const created = answered.filter((r) => r.status === 201).map((r) => r.body.code as string)
    expect(created.length).toBeGreaterThan(0)

    const again = await servers.start(options)
    const listed = await again.request<{ data: { code: string }[] }>('GET', '/v1/locations')
    // Exactly what was answered 201 is there: no write was done and then cut off unanswered.
    expect(listed.body.data.map((l) => l.code).sort()).toEqual(created.sort())
  })
})

function createLocationAt(url: string, code: string, agent: http.Agent) {
  return httpRequest(
    url,
    'POST',
    '/v1/locations',
    {
      code,
      name: `Store ${code}`,
      kind: 'store',
      address: { line1: '1 Main St', city: 'Tehran', country: 'IR' },
      geo: { lat: 35.7, lng: 51.4 },
      capabilities: { shipFrom: true, pickup: true, acceptReturns: true },
    },
    { agent },
  )
}
