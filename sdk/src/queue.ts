import type { KeyValueStore } from './storage.js'

/** A Segment message as the SDK sends it (see messages.ts). */
export type Message = { messageId: string; type: string } & Record<string, unknown>

export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; keepalive?: boolean },
) => Promise<{ status: number }>

export type Timers = {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export type QueueOptions = {
  /** `https://shop.example/v1/batch` */
  endpoint: string
  writeKey: string
  fetch: FetchLike
  store: KeyValueStore
  storeKey: string
  now: () => Date
  timers: Timers
  /** Send as soon as this many events wait. */
  flushAt: number
  /** Send what waits after this long, whatever its size. */
  flushIntervalMs: number
  /** The first retry waits this long, doubling each time up to `maxBackoffMs`. */
  backoffMs: number
  maxBackoffMs: number
  /** Oldest events are dropped past this many, so a long outage cannot fill the storage. */
  maxQueued: number
  random: () => number
}

// Segment refuses batches over 500 KB; keepalive requests are limited to 64 KB in browsers.
const maxBatchBytes = 450 * 1024
const maxKeepaliveBytes = 60 * 1024
const maxBatchEvents = 100

/**
 * The send queue: batches events, persists them until the server has acknowledged them, and
 * retries with exponential backoff and jitter after network errors, 5xx and 429. A 4xx other
 * than 429 means the batch can never succeed (a bad payload), so it is dropped rather than
 * retried forever. Events stay stored while in flight: if the page dies first, the next page
 * load sends them again, and the server's messageId deduplication stores them once.
 */
export class EventQueue {
  #events: Message[]
  #timer: unknown = null
  #inFlight: Promise<void> | null = null
  #attempt = 0
  #retryAt = 0
  #dueAt = 0

  constructor(private readonly o: QueueOptions) {
    this.#events = this.#load()
    if (this.#events.length > 0) this.#schedule(0)
  }

  get size(): number {
    return this.#events.length
  }

  /** Queues a message; sends at once when `flushAt` are waiting, else within the interval. */
  enqueue(message: Message): void {
    this.#events.push(message)
    if (this.#events.length > this.o.maxQueued) this.#events.splice(0, this.#events.length - this.o.maxQueued)
    this.#save()
    this.#schedule(this.#events.length >= this.o.flushAt ? 0 : this.o.flushIntervalMs)
  }

  /**
   * Sends what is queued, a batch at a time, until the queue is empty or a send fails (then a
   * retry is scheduled). Concurrent calls share the one send in progress.
   */
  flush(): Promise<void> {
    if (this.#inFlight) return this.#inFlight
    this.#clearTimer()
    this.#inFlight = this.#drain().finally(() => {
      this.#inFlight = null
    })
    return this.#inFlight
  }

  /**
   * The page is going away: send what fits in one keepalive request, which the browser
   * completes after the page is gone. Nothing is removed here; an unconfirmed event is
   * re-sent on the next load and deduplicated by the server.
   */
  flushOnUnload(): void {
    const batch = this.#take(maxKeepaliveBytes)
    if (batch.length === 0) return
    void this.#send(batch, true).catch(() => undefined)
  }

  async #drain(): Promise<void> {
    while (this.#events.length > 0) {
      const batch = this.#take(maxBatchBytes)
      let status: number
      try {
        status = await this.#send(batch, false)
      } catch {
        status = 0 // network error: the request never got an answer
      }
      if (status === 0 || status === 429 || status >= 500) {
        this.#retryLater()
        return
      }
      // 2xx stored them; any other 4xx will never succeed. Either way they leave the queue.
      const sent = new Set(batch.map((m) => m.messageId))
      this.#events = this.#events.filter((m) => !sent.has(m.messageId))
      this.#save()
      this.#attempt = 0
    }
  }

  async #send(batch: Message[], keepalive: boolean): Promise<number> {
    const body = JSON.stringify({ batch, sentAt: this.o.now().toISOString() })
    const res = await this.o.fetch(this.o.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${base64(`${this.o.writeKey}:`)}` },
      body,
      ...(keepalive ? { keepalive: true } : {}),
    })
    return res.status
  }

  #take(maxBytes: number): Message[] {
    const batch: Message[] = []
    let bytes = 32
    for (const m of this.#events) {
      const size = JSON.stringify(m).length + 1
      if (batch.length > 0 && (bytes + size > maxBytes || batch.length >= maxBatchEvents)) break
      batch.push(m)
      bytes += size
    }
    return batch
  }

  #retryLater() {
    this.#attempt++
    const ceiling = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (this.#attempt - 1))
    // Full jitter spreads the retries of many browsers after an outage.
    const delay = Math.round(ceiling / 2 + (this.o.random() * ceiling) / 2)
    this.#retryAt = this.o.now().getTime() + delay
    this.#schedule(delay, true)
  }

  #schedule(ms: number, force = false) {
    const now = this.o.now().getTime()
    // While backing off, new events wait for the retry instead of hammering a failing server.
    if (this.#attempt > 0 && !force) ms = Math.max(ms, this.#retryAt - now)
    if (this.#timer !== null && !force && this.#dueAt <= now + ms) return
    this.#clearTimer()
    this.#dueAt = now + ms
    this.#timer = this.o.timers.setTimeout(() => {
      this.#timer = null
      void this.flush()
    }, ms)
  }

  #clearTimer() {
    if (this.#timer !== null) this.o.timers.clearTimeout(this.#timer)
    this.#timer = null
  }

  #load(): Message[] {
    try {
      const raw = this.o.store.get(this.o.storeKey)
      const parsed: unknown = raw ? JSON.parse(raw) : []
      return Array.isArray(parsed) ? (parsed as Message[]).filter((m) => m && typeof m.messageId === 'string') : []
    } catch {
      return []
    }
  }

  #save() {
    if (this.#events.length === 0) this.o.store.remove(this.o.storeKey)
    else this.o.store.set(this.o.storeKey, JSON.stringify(this.#events))
  }
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}
