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
