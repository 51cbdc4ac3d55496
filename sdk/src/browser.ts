import type { FetchLike } from './queue.js'
import { browserStores } from './storage.js'
import type { Host } from './client.js'

function uuid(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  // Older webviews: a version-4 UUID from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

function safeLocalStorage(): Storage | undefined {
  try {
    return globalThis.localStorage
  } catch {
    return undefined // blocked third-party storage throws on access
  }
}

/** The host of a real browser page. */
export function browserHost(): Host {
  const { ids, queue } = browserStores({ localStorage: safeLocalStorage(), document: globalThis.document })
  return {
    fetch: ((url, init) => globalThis.fetch(url, init)) as FetchLike,
    ids,
    queueStore: queue,
    timers: { setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout: (h) => globalThis.clearTimeout(h as number) },
    now: () => new Date(),
    random: Math.random,
    uuid,
    page: () => ({
      path: location.pathname,
      referrer: document.referrer,
      search: location.search,
      title: document.title,
      url: location.href,
    }),
    userAgent: navigator.userAgent,
    locale: navigator.language,
    onLeave(fn) {
      addEventListener('pagehide', fn)
      addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'hidden') fn()
      })
    },
  }
}
