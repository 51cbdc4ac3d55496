import { systemClock } from './clock.js'

const caches = new Set<ConfigCache<unknown>>()

/**
 * A value derived from configuration (channels, locations) that hot paths read on every request
 * but that changes rarely. Writes made through this process clear every cache at once
 * (`configurationChanged`, called after they commit); writes made by another process sharing
 * the PostgreSQL server are seen within `ttlMs`. Only for facts where being that late is
 * harmless: guards never rely on a cached value, they are in SQL.
 */
export class ConfigCache<T> {
  #value: { data: T; until: number } | undefined
  #loading: Promise<T> | undefined
  // A load that started before a clear must not store what it read.
  #generation = 0

  constructor(private readonly ttlMs = 2_000) {
    caches.add(this as ConfigCache<unknown>)
  }

  async get(load: () => Promise<T>): Promise<T> {
    if (this.#value && this.#value.until > systemClock.now().getTime()) return this.#value.data
    if (this.#loading) return this.#loading
    const generation = this.#generation
    const loading = load().finally(() => {
      if (this.#loading === loading) this.#loading = undefined
    })
    this.#loading = loading
    const data = await loading
    if (generation === this.#generation) {
      this.#value = { data, until: systemClock.now().getTime() + this.ttlMs }
    }
    return data
  }

  clear(): void {
    this.#generation++
    this.#value = undefined
    this.#loading = undefined
  }
}

/** Called after a write that changes configuration commits; every process-local cache reloads. */
export function configurationChanged(): void {
  for (const cache of caches) cache.clear()
}
