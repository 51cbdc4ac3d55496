import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines } from '../support/engines.js'
import { httpRequest, ServerGroup, type ServerOptions, type ServerProcess } from '../support/server-process.js'
import { serverDatabase, type ServerDatabase } from './data-dir.js'
import { createLocation, createTouchpoints, inParallel, sleep, type Touchpoint } from './fixtures.js'

type Message = Record<string, unknown> & { messageId: string }
type StoredEvent = { messageId: string; channel: string | null; processedAt: string | null; profileId: string | null }

const batchSize = 25
const batchesPerSender = 40
const killAfterAcknowledged = 1_200

/** A sender's stream: mostly anonymous page views and product views, an identify now and then. */
function batchOf(sender: string, n: number): Message[] {
  return Array.from({ length: batchSize }, (_, i) => {
    const seq = n * batchSize + i
    const anonymousId = `anon-${sender}-${seq % 60}`
    const messageId = `${sender}-${seq}`
    if (seq % 20 === 0) {
      return { type: 'identify', messageId, anonymousId, userId: `user-${sender}-${seq % 15}`, traits: { plan: 'crash' } }
    }
    if (seq % 3 === 0) return { type: 'page', messageId, anonymousId, name: 'Home' }
    return { type: 'track', messageId, anonymousId, event: 'Product Viewed', properties: { sku: `SKU-${seq % 40}` } }
  })
}

async function allEvents(url: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = []
  let cursor: string | null = null
  do {
    const query: string = cursor ? `?limit=200&cursor=${encodeURIComponent(cursor)}` : '?limit=200'
    const page = await httpRequest<{ data: StoredEvent[]; nextCursor: string | null }>(url, 'GET', `/v1/events${query}`)
    expect(page.status).toBe(200)
    events.push(...page.body.data)
    cursor = page.body.nextCursor
  } while (cursor)
  return events
}

/**
 * Ingestion answers 200 only once the events are committed, and processing is a separate step
 * that a crash merely postpones: SIGKILL in the middle of a stream of batches from several
 * touchpoints must lose no acknowledged event, store none twice (the senders re-send what got no
 * answer, with the same messageIds, as Segment's SDKs do), and leave every stored event resolved
 * into a profile once the restarted server has caught up.
 */
describe.each(engines)('Event ingestion survives SIGKILL on %s', (engine) => {
  const servers = new ServerGroup()
  let storage: ServerDatabase
  let options: ServerOptions
  let server: ServerProcess
  let senders: Touchpoint[] = []

  beforeAll(async () => {
    storage = await serverDatabase(engine, 'events-crash')
    options = storage.options
    server = await servers.start(options)
    await createLocation(server.url, 'store-e')
    senders = await createTouchpoints(server.url, 'store-e', ['web', 'app', 'kiosk', 'pos'], 'crash')
  })

  afterAll(async () => {
    await servers.stopAll()
    await storage.dispose()
  })

  it('stores every acknowledged event exactly once and resolves all of them into profiles', async () => {
    const acknowledged = new Map<string, Message[]>()
    const unanswered: { sender: Touchpoint; batch: Message[] }[] = []
    let ackedEvents = 0
    let killed: Promise<unknown> | undefined
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })

    // Each sender keeps two batches in flight until the process dies under it.
    await inParallel(
      senders.flatMap((sender) => [0, 1].map((lane) => ({ sender, lane }))),
      senders.length * 2,
      async ({ sender, lane }) => {
        for (let n = lane; n < batchesPerSender; n += 2) {
          const batch = batchOf(sender.code, n)
          if (killed) {
            unanswered.push({ sender, batch })
            continue
          }
          try {
            const reply = await httpRequest(server.url, 'POST', '/v1/batch', { batch }, { key: sender.key, agent })
            if (reply.status !== 200) throw new Error(`batch answered ${reply.status}: ${JSON.stringify(reply.body)}`)
            acknowledged.set(`${sender.code}/${n}`, batch)
            ackedEvents += batch.length
            if (ackedEvents >= killAfterAcknowledged && !killed) killed = server.kill('SIGKILL')
          } catch (err) {
            if (!killed) throw err
            unanswered.push({ sender, batch })
          }
        }
      },
    )
    agent.destroy()
    expect(killed, 'the server was killed mid-stream').toBeDefined()
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' })
    expect(unanswered.length, 'some batches were cut off').toBeGreaterThan(0)

    server = await servers.start(options)
    // Whatever was acknowledged survived the crash before anything was re-sent.
    const afterCrash = await allEvents(server.url)
    const stored = new Set(afterCrash.map((e) => `${e.channel}/${e.messageId}`))
    for (const [key, batch] of acknowledged) {
      const channel = key.split('/')[0]!
      for (const m of batch) expect(stored.has(`${channel}/${m.messageId}`), `${channel}/${m.messageId}`).toBe(true)
    }

    // The senders retry what got no answer, and one acknowledged batch each, as a lost answer would make them.
    const retries = [
      ...unanswered,
      ...senders.map((sender) => ({ sender, batch: acknowledged.get(`${sender.code}/0`)! })),
    ]
    await inParallel(retries, 8, async ({ sender, batch }) => {
      const reply = await httpRequest(server.url, 'POST', '/v1/batch', { batch }, { key: sender.key })
      expect(reply.status).toBe(200)
    })

    const expected = senders.length * batchesPerSender * batchSize
    let events = await allEvents(server.url)
    for (let i = 0; i < 300 && events.some((e) => e.processedAt === null); i++) {
      await sleep(200)
      events = await allEvents(server.url)
    }
    const keys = events.map((e) => `${e.channel}/${e.messageId}`)
    expect(new Set(keys).size, 'no event is stored twice').toBe(keys.length)
    expect(keys.length, 'every event sent is stored').toBe(expected)
    expect(events.filter((e) => e.processedAt === null), 'every event was processed').toEqual([])
    expect(events.filter((e) => e.profileId === null), 'every event has a profile').toEqual([])

    // The profiles really exist (an anonymous id per 60 events per sender, merged by identify).
    const profiles = [...new Set(events.map((e) => e.profileId!))]
    expect(profiles.length).toBeLessThanOrEqual(senders.length * 60)
    await inParallel(profiles, 8, async (id) => {
      expect((await httpRequest(server.url, 'GET', `/v1/customers/${id}`)).status, id).toBe(200)
    })
  })
})
