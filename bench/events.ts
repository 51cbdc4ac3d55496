import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { createTouchpoints, inParallel, sleep, type Touchpoint } from '../test/process/fixtures.js'
import pg from 'pg'
import { adminKey, httpRequest, startServerProcess, type ServerProcess } from '../test/support/server-process.js'
import { benchTargets, type BenchTarget } from './lib/engines.js'
import { closedLoop, openLoop, type LoadResult, type Outcome } from './lib/load.js'
import { bearer, LoadClient } from './lib/load-client.js'
import { waitUntilDelivered } from './lib/outbox.js'
import { machine, printTable, resultsDir, type Check } from './lib/report.js'

/**
 * Event collection over real HTTP against the real server in a child process: how many events
 * per second `/v1/batch` accepts, how long an accepted event waits until it is resolved into a
 * profile (from its 200 to its `processed_at`) and a first-time visitor enters a real-time segment
 * (from its 200 to the `segment.entered` change) at a steady offered rate — started once the
 * throughput run's events are processed and delivered to every outbox consumer — and how many identity
 * lookups per second the counter's "find by phone" answers. Figures go to
 * bench/results/events-<engine>.json; speed never fails the run.
 *
 * Settings: BENCH_ENGINES (pglite,postgres), BENCH_EVENTS_SECONDS (10, the throughput run),
 * BENCH_EVENTS_CONCURRENCY (16), BENCH_EVENTS_BATCH (100 events per request),
 * BENCH_EVENTS_RATE (2000 events/s offered for the latency run, returning visitors and one event in
 * 20 from a new one), BENCH_EVENTS_LATENCY_SECONDS (10),
 * BENCH_LOOKUP_PROFILES (2000), BENCH_LOOKUP_SECONDS (8).
 */

const settings = {
  seconds: Number(process.env.BENCH_EVENTS_SECONDS ?? 10),
  concurrency: Number(process.env.BENCH_EVENTS_CONCURRENCY ?? 16),
  batch: Number(process.env.BENCH_EVENTS_BATCH ?? 100),
  rate: Number(process.env.BENCH_EVENTS_RATE ?? 2_000),
  latencySeconds: Number(process.env.BENCH_EVENTS_LATENCY_SECONDS ?? 10),
  // Requests per second in the latency run: small batches, as browsers and apps send them.
  latencyBatch: 10,
  // The throughput run meets these visitors first; in the latency run they return, and one event
  // in `newVisitorEvery` comes from a first-time visitor, as on a shop with some traffic.
  visitors: 20_000,
  newVisitorEvery: 20,
  lookupProfiles: Number(process.env.BENCH_LOOKUP_PROFILES ?? 2_000),
  lookupSeconds: Number(process.env.BENCH_LOOKUP_SECONDS ?? 8),
  lookupConcurrency: 16,
}

export type EventsBenchResult = {
  engine: string
  date: string
  machine: ReturnType<typeof machine>
  settings: typeof settings
  ingestion: LoadResult & { eventsPerSecond: number }
  backlogDrainSeconds: number
  /** After that, until every outbox consumer had delivered the run's events too. */
  deliveryDrainSeconds: number
  latency: {
    offered: LoadResult
    events: number
    p50Ms: number
    p99Ms: number
    maxMs: number
    /** From a first-time visitor's accepted page view to their `segment.entered`. */
    segment: { entries: number; expected: number; p50Ms: number; p99Ms: number; maxMs: number }
  }
  lookups: LoadResult
  checks: Check[]
}

let sequence = 0
const phoneOf = (i: number) => `+30691${String(i).padStart(7, '0')}`

/**
 * A realistic mix: page views and product views, an identify now and then. Visitors come from a
 * pool of `visitors` named by `pool`, except one event in `newEvery`, from a first-time visitor.
 */
function eventsBatch(size: number, run: string, pool: string, visitors: number, newEvery = 0) {
  return Array.from({ length: size }, () => {
    const n = sequence++
    const anonymousId = newEvery > 0 && n % newEvery === 0 ? `${run}-new-${n}` : `${pool}-anon-${n % visitors}`
    const messageId = `${run}-${n}`
    if (n % 25 === 0) return { type: 'identify', messageId, anonymousId, userId: `${pool}-user-${n % visitors}`, traits: { plan: 'bench' } }
    if (n % 4 === 0) return { type: 'page', messageId, anonymousId, name: 'Product', properties: { path: `/p/${n % 500}` } }
    return { type: 'track', messageId, anonymousId, event: 'Product Viewed', properties: { sku: `SKU-${n % 500}`, price: 1990, currency: 'EUR' } }
  })
}

type Stored = { messageId: string; processedAt: string | null; profileId: string | null }

/**
 * Whether events still wait for processing. On PostgreSQL the bench asks the database: several
 * processing loops skip each other's rows, so the newest event may be done before older ones.
 * The embedded engine's loops take turns oldest first, so there the newest event tells.
 */
type Backlog = () => Promise<boolean>

function backlogOf(server: ServerProcess, databaseUrl: string | null): Backlog {
  if (databaseUrl) {
    return async () => {
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      try {
        const { rows } = await client.query('select exists (select 1 from events.event where processed_at is null) as waiting')
        return rows[0].waiting as boolean
      } finally {
        await client.end()
      }
    }
  }
  return async () => {
    const last = (await httpRequest<{ data: Stored[] }>(server.url, 'GET', '/v1/events?limit=1')).body.data[0]
    return last !== undefined && last.processedAt === null
  }
}

/** Seconds until `waiting` answers false, polled every 100 ms. */
async function waitWhile(waiting: Backlog, what: string, timeoutMs = 600_000): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (!(await waiting())) return (performance.now() - started) / 1000
    await sleep(100)
  }
  throw new Error(`${what} after the timeout`)
}

const waitUntilProcessed = (waiting: Backlog) => waitWhile(waiting, 'events still unprocessed')

/**
 * Every processed event with a messageId starting with `prefix`, by paging the newest first:
 * when it was processed and the profile it was resolved into.
 */
async function processedEvents(server: ServerProcess, prefix: string, count: number): Promise<Map<string, { at: number; profileId: string | null }>> {
  const events = new Map<string, { at: number; profileId: string | null }>()
  let cursor: string | null = null
  while (events.size < count) {
    const query: string = cursor ? `?limit=200&cursor=${encodeURIComponent(cursor)}` : '?limit=200'
    const page: { data: Stored[]; nextCursor: string | null } = (await httpRequest(server.url, 'GET', `/v1/events${query}`)).body
    for (const e of page.data) if (e.messageId.startsWith(prefix) && e.processedAt) events.set(e.messageId, { at: Date.parse(e.processedAt), profileId: e.profileId })
    cursor = page.nextCursor
    if (!cursor) break
  }
  return events
}

/**
 * A real-time segment every visitor enters with their first page view. Defined before the latency
 * run, so its members until then come from the full recompute of its creation and each first-time
 * visitor of the run enters it through the incremental path.
 */
async function defineBrowsingSegment(server: ServerProcess): Promise<string> {
  const reply = await httpRequest(server.url, 'POST', '/v1/segments', {
    name: 'Browsing this week',
    rule: { type: 'behaviour', event: 'page', withinDays: 7 },
  })
  if (reply.status !== 201) throw new Error(`POST /v1/segments answered ${reply.status}: ${JSON.stringify(reply.body)}`)
  return reply.body.id
}

/** When each member entered the segment, from its CSV export (entered_at is the time of the change that wrote the `segment.entered` event). */
async function enteredTimes(server: ServerProcess, segmentId: string): Promise<Map<string, number>> {
  const reply = await httpRequest<string>(server.url, 'GET', `/v1/segments/${segmentId}/members.csv`)
  const times = new Map<string, number>()
  for (const line of reply.body.split('\n').slice(1)) {
    const [profileId, at] = line.split(',')
    if (profileId && at) times.set(profileId, Date.parse(at))
  }
  return times
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
  return { p50Ms: at(50), p99Ms: at(99), maxMs: sorted[sorted.length - 1] ?? NaN }
}

async function measureIngestion(server: ServerProcess, senders: Touchpoint[], waiting: Backlog) {
  const client = new LoadClient(server.url)
  const send = (run: string) => async (i: number): Promise<Outcome> => {
    const batch = eventsBatch(settings.batch, run, 'shop', settings.visitors)
    const status = await client.send('POST', '/v1/batch', { batch }, bearer(senders[i % senders.length]!.key))
    return { ok: status === 200, status }
  }
  await closedLoop({ concurrency: settings.concurrency, seconds: 2, send: send('warm') })
  await waitUntilProcessed(waiting)
  const result = await closedLoop({ concurrency: settings.concurrency, seconds: settings.seconds, send: send('thru') })
  client.close()
  const backlogDrainSeconds = await waitUntilProcessed(waiting)
  const deliveryDrainSeconds = (await waitUntilDelivered(server)).seconds
  return { ingestion: { ...result, eventsPerSecond: result.rate * settings.batch }, backlogDrainSeconds, deliveryDrainSeconds }
}

async function measureLatency(server: ServerProcess, senders: Touchpoint[], waiting: Backlog) {
  const segmentId = await defineBrowsingSegment(server)
  await waitUntilDelivered(server)
  const client = new LoadClient(server.url)
  const acknowledged = new Map<string, number>()
  // The page views of first-time visitors: each makes its visitor enter the segment.
  const firstViews = new Set<string>()
  const offered = await openLoop({
    rate: settings.rate / settings.latencyBatch,
    seconds: settings.latencySeconds,
    send: async (i) => {
      const batch = eventsBatch(settings.latencyBatch, 'lat', 'shop', settings.visitors, settings.newVisitorEvery)
      const status = await client.send('POST', '/v1/batch', { batch }, bearer(senders[i % senders.length]!.key))
      const at = Date.now()
      if (status === 200)
        for (const m of batch) {
          acknowledged.set(m.messageId, at)
          if (m.type === 'page' && m.anonymousId.startsWith('lat-new-')) firstViews.add(m.messageId)
        }
      return { ok: status === 200, status }
    },
  })
  client.close()
  await waitUntilProcessed(waiting)
  await waitUntilDelivered(server)
  const processed = await processedEvents(server, 'lat-', acknowledged.size)
  // processed_at is stamped just before the commit that makes the profile visible; both clocks
  // are this machine's.
  const waits = [...acknowledged].flatMap(([id, at]) => (processed.has(id) ? [Math.max(0, processed.get(id)!.at - at)] : []))
  const entered = await enteredTimes(server, segmentId)
  const entries = [...firstViews].flatMap((id) => {
    const profileId = processed.get(id)?.profileId
    const at = profileId ? entered.get(profileId) : undefined
    return at === undefined ? [] : [Math.max(0, at - acknowledged.get(id)!)]
  })
  return { offered, events: waits.length, ...percentiles(waits), segment: { entries: entries.length, expected: firstViews.size, ...percentiles(entries) } }
}

async function measureLookups(server: ServerProcess, senders: Touchpoint[], waiting: Backlog) {
  // Profiles with a phone, made the way a till makes them: an identify carrying the phone trait.
  const batches = Array.from({ length: Math.ceil(settings.lookupProfiles / 100) }, (_, b) =>
    Array.from({ length: Math.min(100, settings.lookupProfiles - b * 100) }, (_, i) => {
      const n = b * 100 + i
      return { type: 'identify', messageId: `phone-${n}`, userId: `member-${n}`, traits: { phone: phoneOf(n) } }
    }),
  )
  await inParallel(batches, 4, async (batch) => {
    const reply = await httpRequest(server.url, 'POST', '/v1/batch', { batch }, { key: senders[0]!.key })
    if (reply.status !== 200) throw new Error(`seeding phones answered ${reply.status}`)
  })
  await waitUntilProcessed(waiting)
  const client = new LoadClient(server.url, bearer(adminKey))
  const lookup = async (): Promise<Outcome> => {
    const phone = phoneOf(Math.floor(Math.random() * settings.lookupProfiles))
    const status = await client.send('GET', `/v1/customers?identity=${encodeURIComponent(`phone:${phone}`)}`)
    return { ok: status === 200, status }
  }
  await closedLoop({ concurrency: settings.lookupConcurrency, seconds: 2, send: lookup })
  const result = await closedLoop({ concurrency: settings.lookupConcurrency, seconds: settings.lookupSeconds, send: lookup })
  client.close()
  return result
}

function checksOf(engine: string, r: Pick<EventsBenchResult, 'ingestion' | 'backlogDrainSeconds' | 'deliveryDrainSeconds' | 'latency' | 'lookups'>): Check[] {
  const target = engine === 'postgres' ? 10_000 : 3_000
  const figure = (name: string, value: number, unit: string): Check => ({ name, value, unit, target: '', met: null })
  return [
    { name: `events accepted (batches of ${settings.batch})`, value: r.ingestion.eventsPerSecond, unit: '/s', target: `≥ ${target}/s`, met: r.ingestion.eventsPerSecond >= target },
    figure('  batch latency p50', r.ingestion.p50Ms, 'ms'),
    figure('  batch latency p99', r.ingestion.p99Ms, 'ms'),
    figure('  backlog processed after the run in', r.backlogDrainSeconds, 's'),
    figure('  then delivered to every consumer in', r.deliveryDrainSeconds, 's'),
    figure(`events offered for latency (${settings.rate}/s)`, r.latency.events / settings.latencySeconds, '/s'),
    figure('  200 → processed p50', r.latency.p50Ms, 'ms'),
    { name: '  200 → processed p99', value: r.latency.p99Ms, unit: 'ms', target: '< 1000 ms', met: r.latency.p99Ms < 1_000 },
    figure('  ingestion answer p99', r.latency.offered.p99Ms, 'ms'),
    figure(`  segment entries seen (of ${r.latency.segment.expected} first visits)`, r.latency.segment.entries, ''),
    figure('  200 → segment.entered p50', r.latency.segment.p50Ms, 'ms'),
    { name: '  200 → segment.entered p99', value: r.latency.segment.p99Ms, unit: 'ms', target: '< 1000 ms', met: r.latency.segment.p99Ms < 1_000 },
    figure(`identity lookups by phone (${settings.lookupConcurrency} clients)`, r.lookups.rate, '/s'),
    figure('  latency p50', r.lookups.p50Ms, 'ms'),
    figure('  latency p99', r.lookups.p99Ms, 'ms'),
    figure('requests refused or failed (all runs)', r.ingestion.failed + r.latency.offered.failed + r.lookups.failed, ''),
  ]
}

async function benchEngine(target: BenchTarget): Promise<EventsBenchResult> {
  process.stdout.write(`\n[${target.engine}] starting the server…\n`)
  const loadBefore = machine()
  const server = await startServerProcess(target.server)
  try {
    const senders = await createTouchpoints(server.url, 'none', ['web', 'app', 'social', 'callcenter'], 'bench')
    const waiting = backlogOf(server, target.databaseUrl)
    process.stdout.write(`[${target.engine}] ingestion throughput…\n`)
    const { ingestion, backlogDrainSeconds, deliveryDrainSeconds } = await measureIngestion(server, senders, waiting)
    process.stdout.write(`[${target.engine}] ingestion-to-profile latency at ${settings.rate} events/s…\n`)
    const latency = await measureLatency(server, senders, waiting)
    process.stdout.write(`[${target.engine}] identity lookups…\n`)
    const lookups = await measureLookups(server, senders, waiting)
    const measured = { ingestion, backlogDrainSeconds, deliveryDrainSeconds, latency, lookups }
    return { engine: target.engine, date: new Date().toISOString(), machine: loadBefore, settings, ...measured, checks: checksOf(target.engine, measured) }
  } finally {
    const exit = await server.stop()
    if (exit.code !== 0) process.stderr.write(`server exited with ${JSON.stringify(exit)}:\n${server.stderr()}\n`)
  }
}

/** Runs the events benchmark on every available engine; answers the results. */
export async function runEventsBench(): Promise<EventsBenchResult[]> {
  const results: EventsBenchResult[] = []
  for (const target of await benchTargets()) {
    try {
      const result = await benchEngine(target)
      results.push(result)
      const path = `${resultsDir}events-${target.engine}.json`
      writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`)
      printTable(`Events on ${target.engine} (${result.machine.cpus} × ${result.machine.model}) → ${path}`, result.checks)
    } finally {
      await target.dispose()
    }
  }
  return results
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runEventsBench()
  process.exit(0)
}
