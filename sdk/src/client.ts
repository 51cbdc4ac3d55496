import { EventQueue, type FetchLike, type Message, type Timers } from './queue.js'
import type { KeyValueStore } from './storage.js'

export const version = '0.1.0'

export type Properties = Record<string, unknown>

/** Where the page is, for `context.page` (Segment's page fields). */
export type PageInfo = { path: string; referrer: string; search: string; title: string; url: string }

/** What the client needs from its host; `browserHost()` fills it from `window`. */
export type Host = {
  fetch: FetchLike
  ids: KeyValueStore
  queueStore: KeyValueStore
  timers: Timers
  now: () => Date
  random: () => number
  uuid: () => string
  page: () => PageInfo
  userAgent: string
  locale: string | undefined
  /** Calls `fn` when the page is being hidden or unloaded (pagehide, visibilitychange). */
  onLeave: (fn: () => void) => void
}

export type LoadOptions = {
  /** The Omnia server, e.g. `https://shop.example`; default: the page's own origin. */
  host?: string
  flushAt?: number
  flushIntervalMs?: number
  backoffMs?: number
  maxBackoffMs?: number
  maxQueued?: number
}

const anonymousKey = 'omnia.anonymousId'
const userKey = 'omnia.userId'

/**
 * One tracker: Segment-compatible messages (messageId, timestamp, context.library, context.page,
 * context.userAgent) for page views, tracks and identifies, with a persistent anonymous id.
 */
export function createClient(writeKey: string, options: LoadOptions, env: Host) {
  const host = (options.host ?? '').replace(/\/+$/, '')
  const queue = new EventQueue({
    endpoint: `${host}/v1/batch`,
    writeKey,
    fetch: env.fetch,
    store: env.queueStore,
    storeKey: `omnia.queue.${writeKey.slice(0, 12)}`,
    now: env.now,
    timers: env.timers,
    flushAt: options.flushAt ?? 20,
    flushIntervalMs: options.flushIntervalMs ?? 5_000,
    backoffMs: options.backoffMs ?? 1_000,
    maxBackoffMs: options.maxBackoffMs ?? 60_000,
    maxQueued: options.maxQueued ?? 1_000,
    random: env.random,
  })
  env.onLeave(() => queue.flushOnUnload())

  const anonymousId = () => {
    let id = env.ids.get(anonymousKey)
    if (!id) {
      id = env.uuid()
      env.ids.set(anonymousKey, id)
    }
    return id
  }

  const message = (type: string, fields: Properties): Message => {
    const userId = env.ids.get(userKey)
    return {
      type,
      messageId: env.uuid(),
      timestamp: env.now().toISOString(),
      anonymousId: anonymousId(),
      ...(userId ? { userId } : {}),
      context: {
        library: { name: 'omnia-browser', version },
        page: env.page(),
        userAgent: env.userAgent,
        ...(env.locale ? { locale: env.locale } : {}),
      },
      ...fields,
    }
  }

  const track = (event: string, properties: Properties = {}) => queue.enqueue(message('track', { event, properties }))

  return {
    /** A page view; `name` and `properties` are optional (the URL and title are always sent). */
    page(name?: string, properties: Properties = {}) {
      const info = env.page()
      queue.enqueue(message('page', { ...(name ? { name } : {}), properties: { ...info, ...properties } }))
    },
    track,
    /** Names the person from now on (kept across page loads) and sends their traits. */
    identify(userId: string, traits: Properties = {}) {
      env.ids.set(userKey, userId)
      queue.enqueue(message('identify', { traits }))
    },
    // Segment's e-commerce spec event names, so existing destinations understand them.
    productViewed: (product: Properties) => track('Product Viewed', product),
    productAdded: (product: Properties) => track('Product Added', product),
    wishlistAdded: (product: Properties) => track('Product Added to Wishlist', product),
    /** Sends what is queued now. */
    flush: () => queue.flush(),
    /** Forgets the person (log-out): a new anonymous id, no user id. */
    reset() {
      env.ids.remove(userKey)
      env.ids.remove(anonymousKey)
    },
    anonymousId,
    userId: () => env.ids.get(userKey),
    queued: () => queue.size,
  }
}

export type Client = ReturnType<typeof createClient>
