import { systemClock } from './clock.js'

const caches = new Set<ConfigCache<unknown>>()

/**
 * A value derived from configuration (channels, locations) that hot paths read on every request
 * but that changes rarely. Writes made through this process clear every cache at once
 * (`configurationChanged`, called after they commit); writes made by another process sharing
 * the PostgreSQL server are seen within `ttlMs`. Only for facts where being that late is
 * harmless: guards never rely on a cached value, they are in SQL.
 *
 * Each caller that finds no fresh value loads it itself, in its own transaction, rather than
 * waiting for a load already running in another's: that transaction may be waiting on a row
 * lock the caller holds (its statements go out behind one another, see `together`), a wait
 * PostgreSQL cannot see and would never break. A few duplicate reads when the value expires
 * under load cost less than that.
 */
export class ConfigCache<T> {
  #value: { data: T; until: number } | undefined
  // A load that started before a clear must not store what it read.
  #generation = 0

  constructor(private readonly ttlMs = 2_000) {
    caches.add(this as ConfigCache<unknown>)
  }

  async get(load: () => Promise<T>): Promise<T> {
    if (this.#value && this.#value.until > systemClock.now().getTime()) return this.#value.data
    const generation = this.#generation
    const data = await load()
    if (generation === this.#generation) {
      this.#value = { data, until: systemClock.now().getTime() + this.ttlMs }
    }
    return data
  }

  clear(): void {
    this.#generation++
    this.#value = undefined
  }
}

/** Called after a write that changes configuration commits; every process-local cache reloads. */
export function configurationChanged(): void {
  for (const cache of caches) cache.clear()
}
