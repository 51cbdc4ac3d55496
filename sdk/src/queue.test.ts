import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createClient, type Host } from './client.js'
import { EventQueue, type FetchLike, type Message, type QueueOptions } from './queue.js'
import { browserStores, memoryStore, type KeyValueStore } from './storage.js'

type Call = { url: string; body: { batch: Message[]; sentAt: string }; headers: Record<string, string>; keepalive: boolean; at: number }

/** A fetch that answers the statuses given in turn (0: a network error), then 200. */
function fakeFetch(statuses: number[] = []) {
  const calls: Call[] = []
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, body: JSON.parse(init.body), headers: init.headers, keepalive: init.keepalive ?? false, at: Date.now() })
    const status = statuses.shift() ?? 200
    if (status === 0) throw new TypeError('Failed to fetch')
    return { status }
  }
  return { fetch, calls }
}

const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as number) }

function queueWith(fetch: FetchLike, store: KeyValueStore = memoryStore(), options: Partial<QueueOptions> = {}) {
  return new EventQueue({
    endpoint: 'https://shop.example/v1/batch',
    writeKey: 'omk_pub00001_key',
    fetch,
    store,
    storeKey: 'q',
    now: () => new Date(),
    timers,
    flushAt: 3,
    flushIntervalMs: 5_000,
    backoffMs: 1_000,
    maxBackoffMs: 8_000,
    maxQueued: 1_000,
    // The top of the jitter range, so the waits are exact.
    random: () => 1,
    ...options,
  })
}

let n = 0
const msg = (): Message => ({ type: 'track', messageId: `m-${++n}`, event: 'Product Viewed', anonymousId: 'a' })
const ids = (call: Call | undefined) => call!.body.batch.map((m) => m.messageId)

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z') })
  n = 0
})
afterEach(() => vi.useRealTimers())

describe('the send queue', () => {
  it('sends a batch as soon as flushAt events wait, with the write key as Basic user name and sentAt', async () => {
    const { fetch, calls } = fakeFetch()
    const q = queueWith(fetch)
    q.enqueue(msg())
    q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(0)
    q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)
    expect(ids(calls[0])).toEqual(['m-1', 'm-2', 'm-3'])
    expect(calls[0]!.url).toBe('https://shop.example/v1/batch')
    expect(calls[0]!.headers.authorization).toBe(`Basic ${btoa('omk_pub00001_key:')}`)
    expect(calls[0]!.body.sentAt).toBe('2026-03-01T10:00:00.000Z')
    expect(q.size).toBe(0)
  })

  it('sends fewer events once the interval has passed', async () => {
    const { fetch, calls } = fakeFetch()
    const q = queueWith(fetch)
    q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(4_999)
    expect(calls).toHaveLength(0)
    // A later event does not push the send back.
    q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(1)
    expect(calls.map(ids)).toEqual([['m-1', 'm-2']])
  })

  it('retries network errors, 5xx and 429 with doubling waits, keeping the events until they are stored', async () => {
    const { fetch, calls } = fakeFetch([0, 503, 429, 500])
    const store = memoryStore()
    const q = queueWith(fetch, store)
    for (let i = 0; i < 3; i++) q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)
    expect(JSON.parse(store.get('q')!)).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(30_000)
    const started = calls[0]!.at
    // 1 s, 2 s, 4 s, then the 8 s ceiling.
    expect(calls.map((c) => c.at - started)).toEqual([0, 1_000, 3_000, 7_000, 15_000])
    expect(new Set(calls.map((c) => JSON.stringify(ids(c)))).size).toBe(1)
    expect(q.size).toBe(0)
    expect(store.get('q')).toBeNull()
  })

  it('holds new events while backing off instead of sending them at once', async () => {
    const { fetch, calls } = fakeFetch([503])
    const q = queueWith(fetch)
    for (let i = 0; i < 3; i++) q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(0)
    for (let i = 0; i < 3; i++) q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(999)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls.map(ids)).toEqual([
      ['m-1', 'm-2', 'm-3'],
      ['m-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6'],
    ])
  })

  it('drops a batch the server refuses as invalid rather than retrying it forever', async () => {
    const { fetch, calls } = fakeFetch([400])
    const q = queueWith(fetch)
    for (let i = 0; i < 3; i++) q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(1)
    expect(q.size).toBe(0)
  })

  it('sends what a previous page left unsent as soon as it loads', async () => {
    const store = memoryStore()
    const first = fakeFetch([0])
    const page1 = queueWith(first.fetch, store)
    for (let i = 0; i < 3; i++) page1.enqueue(msg())
    await vi.advanceTimersByTimeAsync(0)
    expect(first.calls).toHaveLength(1)
    // The page is closed before the retry; the next one finds the events in storage.
    vi.clearAllTimers()
    const second = fakeFetch()
    const page2 = queueWith(second.fetch, store)
    expect(page2.size).toBe(3)
    await vi.advanceTimersByTimeAsync(0)
    expect(second.calls.map(ids)).toEqual([['m-1', 'm-2', 'm-3']])
    expect(store.get('q')).toBeNull()
  })

  it('sends a keepalive request when the page goes away, and keeps the events until confirmed', async () => {
    const { fetch, calls } = fakeFetch([0])
    const store = memoryStore()
    const q = queueWith(fetch, store)
    q.enqueue(msg())
    q.flushOnUnload()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.keepalive).toBe(true)
    expect(JSON.parse(store.get('q')!)).toHaveLength(1)
  })

  it('keeps only the newest maxQueued events during a long outage', async () => {
    const { fetch, calls } = fakeFetch(Array.from({ length: 100 }, () => 503))
    const q = queueWith(fetch, memoryStore(), { maxQueued: 5, flushAt: 100 })
    for (let i = 0; i < 8; i++) q.enqueue(msg())
    expect(q.size).toBe(5)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(ids(calls[0])).toEqual(['m-4', 'm-5', 'm-6', 'm-7', 'm-8'])
  })

  it('splits a large queue into batches of at most 100 events', async () => {
    const { fetch, calls } = fakeFetch()
    const q = queueWith(fetch, memoryStore(), { flushAt: 250 })
    for (let i = 0; i < 250; i++) q.enqueue(msg())
    await vi.advanceTimersByTimeAsync(0)
    expect(calls.map((c) => c.body.batch.length)).toEqual([100, 100, 50])
  })
})

function testHost(stores: { ids: KeyValueStore; queue: KeyValueStore }, fetch: FetchLike): Host {
  let u = 0
  return {
    fetch,
    ids: stores.ids,
    queueStore: stores.queue,
    timers,
    now: () => new Date(),
    random: () => 1,
    uuid: () => `00000000-0000-4000-8000-${String(++u).padStart(12, '0')}`,
    page: () => ({ path: '/p/tee', referrer: 'https://search.example/', search: '?c=1', title: 'Tee', url: 'https://shop.example/p/tee?c=1' }),
    userAgent: 'TestBrowser/1.0',
    locale: 'fa-IR',
    onLeave: () => undefined,
  }
}

describe('the tracker', () => {
  it('builds Segment messages with context and keeps the anonymous id and user id across loads', async () => {
    const { fetch, calls } = fakeFetch()
    const stores = { ids: memoryStore(), queue: memoryStore() }
    const client = createClient('omk_pub00001_key', { host: 'https://shop.example/', flushAt: 1 }, testHost(stores, fetch))
    client.page()
    client.productViewed({ sku: 'TEE-M', price: 19.9 })
    client.identify('u-42', { email: 'maria@example.com' })
    client.productAdded({ sku: 'TEE-M' })
    client.wishlistAdded({ sku: 'MUG' })
    await vi.advanceTimersByTimeAsync(0)
    const sent = calls.flatMap((c) => c.body.batch)
    expect(sent.map((m) => [m.type, m.event ?? m.name ?? null, m.userId ?? null])).toEqual([
      ['page', null, null],
      ['track', 'Product Viewed', null],
      ['identify', null, 'u-42'],
      ['track', 'Product Added', 'u-42'],
      ['track', 'Product Added to Wishlist', 'u-42'],
    ])
    const anonymousId = sent[0]!.anonymousId
    expect(sent.every((m) => m.anonymousId === anonymousId)).toBe(true)
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(5)
    expect(sent[1]).toMatchObject({
      timestamp: '2026-03-01T10:00:00.000Z',
      properties: { sku: 'TEE-M', price: 19.9 },
      context: {
        library: { name: 'omnia-browser' },
        page: { path: '/p/tee', url: 'https://shop.example/p/tee?c=1', title: 'Tee', referrer: 'https://search.example/' },
        userAgent: 'TestBrowser/1.0',
        locale: 'fa-IR',
      },
    })
    expect(sent[0]!.properties).toMatchObject({ path: '/p/tee', title: 'Tee' })
    expect(sent[2]!.traits).toEqual({ email: 'maria@example.com' })

    const again = createClient('omk_pub00001_key', { host: 'https://shop.example' }, testHost(stores, fetch))
    expect(again.anonymousId()).toBe(anonymousId)
    expect(again.userId()).toBe('u-42')
    again.reset()
    expect(again.userId()).toBeNull()
    expect(again.anonymousId()).not.toBe(anonymousId)
  })

  it('keeps the ids in a cookie when localStorage refuses writes', () => {
    const blocked = { setItem: () => { throw new Error('SecurityError') }, getItem: () => null, removeItem: () => undefined } as unknown as Storage
    const doc = { cookie: '' }
    const jar = new Map<string, string>()
    Object.defineProperty(doc, 'cookie', {
      get: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      set: (c: string) => {
        const [pair] = c.split(';')
        const [k, v] = pair!.split('=') as [string, string]
        if (/max-age=0/.test(c)) jar.delete(k)
        else jar.set(k, v)
      },
    })
    const stores = browserStores({ localStorage: blocked, document: doc })
    const client = createClient('k', {}, testHost(stores, fakeFetch().fetch))
    const id = client.anonymousId()
    expect(doc.cookie).toContain(`omnia.anonymousId=${id}`)
    expect(createClient('k', {}, testHost(browserStores({ localStorage: blocked, document: doc }), fakeFetch().fetch)).anonymousId()).toBe(id)
  })
})
