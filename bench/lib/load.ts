/**
 * Load generators. Closed loop: N workers each send a request, wait for the answer, send the next
 * — the throughput the system sustains at that concurrency. Open loop: requests leave on a fixed
 * schedule whatever the answers do, and latency counts from the scheduled instant, so a stall
 * is charged to every request it delayed (no coordinated omission).
 */

export type Outcome = { ok: boolean; status: number }

export type LoadResult = {
  requests: number
  ok: number
  failed: number
  /** Answers by HTTP status (0: no answer, a transport error). */
  statuses: Record<string, number>
  seconds: number
  /** Successful requests per second. */
  rate: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** The first few failures, to tell a refusal from a bug. */
  sampleErrors: string[]
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

class Recorder {
  latencies = new Float64Array(1 << 16)
  count = 0
  ok = 0
  statuses: Record<string, number> = {}
  sampleErrors: string[] = []

  add(ms: number, outcome: Outcome | Error) {
    if (this.count === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2)
      grown.set(this.latencies)
      this.latencies = grown
    }
    this.latencies[this.count++] = ms
    const status = outcome instanceof Error ? 0 : outcome.status
    this.statuses[status] = (this.statuses[status] ?? 0) + 1
    if (!(outcome instanceof Error) && outcome.ok) this.ok++
    else if (this.sampleErrors.length < 5) this.sampleErrors.push(outcome instanceof Error ? outcome.message : `HTTP ${status}`)
  }

  result(seconds: number): LoadResult {
    const sorted = this.latencies.slice(0, this.count).sort()
    return {
      requests: this.count,
      ok: this.ok,
      failed: this.count - this.ok,
      statuses: this.statuses,
      seconds,
      rate: this.ok / seconds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
      sampleErrors: this.sampleErrors,
    }
  }
}

/** `concurrency` workers calling `send(i)` back to back for `seconds`. */
export async function closedLoop(options: {
  concurrency: number
  seconds: number
  send: (i: number) => Promise<Outcome>
}): Promise<LoadResult> {
  const recorder = new Recorder()
  const start = performance.now()
  const end = start + options.seconds * 1000
  let next = 0
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++
      const t0 = performance.now()
      let outcome: Outcome | Error
      try {
        outcome = await options.send(i)
      } catch (err) {
        outcome = err as Error
      }
      recorder.add(performance.now() - t0, outcome)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return recorder.result((performance.now() - start) / 1000)
}

/** `rate` requests per second for `seconds`, each timed from when it was due to leave. */
export async function openLoop(options: {
  rate: number
  seconds: number
  send: (i: number) => Promise<Outcome>
}): Promise<LoadResult> {
  const recorder = new Recorder()
  const total = Math.round(options.rate * options.seconds)
  const interval = 1000 / options.rate
  const start = performance.now()
  const pending: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = start + i * interval
    const wait = due - performance.now()
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait))
    // Late sends are charged from when they were due; one sent a hair early, from when it left.
    const origin = Math.min(due, performance.now())
    pending.push(
      options.send(i).then(
        (outcome) => recorder.add(performance.now() - origin, outcome),
        (err: Error) => recorder.add(performance.now() - origin, err),
      ),
    )
  }
  await Promise.all(pending)
  return recorder.result((performance.now() - start) / 1000)
}
