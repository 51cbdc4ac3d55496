/** Where the SDK keeps its anonymous id, user id and unsent queue between page loads. */
export interface KeyValueStore {
  get(key: string): string | null
  set(key: string, value: string): void
  remove(key: string): void
}

/** What the SDK needs from the browser; tests and non-browser hosts pass their own. */
export type StorageHost = {
  localStorage?: Storage | undefined
  document?: { cookie: string } | undefined
}

/** localStorage when it works (Safari private mode and some webviews throw on write). */
function localStore(storage: Storage | undefined): KeyValueStore | null {
  if (!storage) return null
  try {
    const probe = '__omnia_probe__'
    storage.setItem(probe, '1')
    storage.removeItem(probe)
  } catch {
    return null
  }
  return {
    get: (k) => storage.getItem(k),
    set: (k, v) => {
      try {
        storage.setItem(k, v)
      } catch {
        // Quota exceeded: the queue stays in memory for this page.
      }
    },
    remove: (k) => storage.removeItem(k),
  }
}

const yearSeconds = 365 * 24 * 3600

/** First-party cookies, for the few small values (ids) when localStorage is unavailable. */
export function cookieStore(doc: { cookie: string }): KeyValueStore {
  return {
    get(key) {
      const prefix = `${encodeURIComponent(key)}=`
      const found = doc.cookie.split('; ').find((c) => c.startsWith(prefix))
      return found === undefined ? null : decodeURIComponent(found.slice(prefix.length))
    },
    set(key, value) {
      doc.cookie = `${encodeURIComponent(key)}=${encodeURIComponent(value)}; path=/; max-age=${yearSeconds}; samesite=lax`
    },
    remove(key) {
      doc.cookie = `${encodeURIComponent(key)}=; path=/; max-age=0; samesite=lax`
    },
  }
}

export function memoryStore(): KeyValueStore {
  const data = new Map<string, string>()
  return { get: (k) => data.get(k) ?? null, set: (k, v) => void data.set(k, v), remove: (k) => void data.delete(k) }
}

/**
 * Two stores: one for ids (localStorage, else a cookie, else memory) and one for the queue
 * (localStorage, else memory: a queue does not fit in a 4 KB cookie).
 */
export function browserStores(host: StorageHost): { ids: KeyValueStore; queue: KeyValueStore } {
  const local = localStore(host.localStorage)
  if (local) return { ids: local, queue: local }
  return { ids: host.document ? cookieStore(host.document) : memoryStore(), queue: memoryStore() }
}
