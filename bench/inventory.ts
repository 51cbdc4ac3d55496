import { pathToFileURL } from 'node:url'
import { benchTargets, type BenchTarget } from './lib/engines.js'
import { closedLoop, openLoop, type LoadResult, type Outcome } from './lib/load.js'
import { bearer, LoadClient } from './lib/load-client.js'
import { waitUntilDelivered } from './lib/outbox.js'
import { measureRawSql, type RawSqlResult } from './lib/raw-sql.js'
import { machine, printTable, resultsDir, writeBarChart, writeResult, type Check } from './lib/report.js'
import { seedThroughCli } from './lib/seed.js'

/**
 * Inventory over real HTTP against the real server in a child process: reservation throughput
 * and latency with one hot SKU and with SKUs spread thin, stock reads at a fixed offered rate,
 * and the raw SQL rate of the same guarded UPDATE as the ceiling to compare with. Figures go to
 * bench/results/<engine>-<yyyymmdd>.json and a summary chart; speed never fails the run.
 *
 * Settings: BENCH_ENGINES (pglite,postgres), BENCH_SECONDS (12, per reservation run),
 * BENCH_CONCURRENCY (32), BENCH_SKUS (10000), BENCH_READ_RATE (1000/s), BENCH_READ_SECONDS (10),
 * BENCH_RAW_SECONDS (8), BENCH_DATABASE_URL (default: the local server, when it answers).
 */

const settings = {
  seconds: Number(process.env.BENCH_SECONDS ?? 12),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32),
  skus: Number(process.env.BENCH_SKUS ?? 10_000),
  readRate: Number(process.env.BENCH_READ_RATE ?? 1_000),
  readSeconds: Number(process.env.BENCH_READ_SECONDS ?? 10),
  rawSeconds: Number(process.env.BENCH_RAW_SECONDS ?? 8),
}

const location = 'wh-1'
const hotSku = 'BENCH-HOT'
const skuAt = (i: number) => `BENCH-${String(i).padStart(5, '0')}`

export type InventoryBenchResult = {
  engine: string
  date: string
  machine: ReturnType<typeof machine> & { loadAverageBefore: number[] }
  settings: typeof settings
  seedSeconds: number
  httpFloor: LoadResult
  reservationsContended: LoadResult
  reservationsUncontended: LoadResult
  /** The reservation runs' events the outbox still had to deliver before the reads, and how long that took. */
  backlogBeforeReads: { events: number; seconds: number }
  stockReads: LoadResult
  rawSql: RawSqlResult
  ratioToRawSql: { contended: number; uncontended: number }
  checks: Check[]
}

function reserveOne(client: LoadClient, sku: () => string) {
  let n = 0
  return async (): Promise<Outcome> => {
    const status = await client.send('POST', '/v1/inventory/reservations', {
      lines: [{ sku: sku(), quantity: 1 }],
      ttlSeconds: 3600,
      reference: `bench-${process.pid}-${n++}`,
    })
    return { ok: status === 201, status }
  }
}

const randomSku = () => skuAt(Math.floor(Math.random() * settings.skus))

async function measureServer(target: BenchTarget) {
  const stock = new Map<string, number>([[hotSku, 1_000_000_000]])
  for (let i = 0; i < settings.skus; i++) stock.set(skuAt(i), 1_000_000)
  const { server, key, seconds: seedSeconds } = await seedThroughCli(target.server, location, stock)
  try {
    const client = new LoadClient(server.url, bearer(key))
    const anonymous = new LoadClient(server.url)
    const uncontendedSend = reserveOne(client, randomSku)
    await closedLoop({ concurrency: settings.concurrency, seconds: 2, send: uncontendedSend })
    // HTTP alone, no database: a rate no figure below can exceed on this machine.
    const httpFloor = await closedLoop({
      concurrency: settings.concurrency,
      seconds: 3,
      send: async () => {
        const status = await anonymous.send('GET', '/health')
        return { ok: status === 200, status }
      },
    })
    const reservationsContended = await closedLoop({
      concurrency: settings.concurrency,
      seconds: settings.seconds,
      send: reserveOne(client, () => hotSku),
    })
    const reservationsUncontended = await closedLoop({ concurrency: settings.concurrency, seconds: settings.seconds, send: uncontendedSend })
    const readOne = async (): Promise<Outcome> => {
      const status = await client.send('GET', `/v1/inventory/${randomSku()}`)
      return { ok: status === 200, status }
    }
    // The reservation runs may leave a backlog of events for the outbox consumers (a slow
    // machine lags more); on the embedded engine reads would wait behind those deliveries for
    // the one session. Reads are measured on a settled server; the backlog is reported.
    const backlogBeforeReads = await waitUntilDelivered(server)
    // Warm-up at the same rate, not measured (as for the reservation runs): the first second
    // opens the sockets and compiles the read path, and an open loop charges that start-up
    // stall to every request queued behind it, which is not the steady state asked about.
    await openLoop({ rate: settings.readRate, seconds: 2, send: readOne })
    const stockReads = await openLoop({ rate: settings.readRate, seconds: settings.readSeconds, send: readOne })
    client.close()
    anonymous.close()
    return { seedSeconds, httpFloor, reservationsContended, reservationsUncontended, backlogBeforeReads, stockReads }
  } finally {
    const exit = await server.stop()
    if (exit.code !== 0) process.stderr.write(`server exited with ${JSON.stringify(exit)}:\n${server.stderr()}\n`)
  }
}

function checksOf(engine: string, r: Omit<InventoryBenchResult, 'checks' | 'machine' | 'settings' | 'date' | 'engine'>): Check[] {
  const floor = engine === 'postgres' ? 1_000 : 500
  const { reservationsContended: hot, reservationsUncontended: spread, stockReads: reads, rawSql, ratioToRawSql } = r
  const figure = (name: string, value: number, unit: string): Check => ({ name, value, unit, target: '', met: null })
  return [
    figure('HTTP alone (GET /health)', r.httpFloor.rate, '/s'),
    figure('reservations, one hot SKU', hot.rate, '/s'),
    figure('  latency p50', hot.p50Ms, 'ms'),
    figure('  latency p99', hot.p99Ms, 'ms'),
    { name: 'reservations, random SKU', value: spread.rate, unit: '/s', target: `≥ ${floor}/s`, met: spread.rate >= floor },
    figure('  latency p50', spread.p50Ms, 'ms'),
    figure('  latency p99', spread.p99Ms, 'ms'),
    figure('raw SQL update, hot row', rawSql.contended.rate, '/s'),
    figure('raw SQL update, random row', rawSql.uncontended.rate, '/s'),
    { name: 'share of raw SQL, hot', value: ratioToRawSql.contended * 100, unit: '%', target: '≥ 50%', met: ratioToRawSql.contended >= 0.5 },
    { name: 'share of raw SQL, random', value: ratioToRawSql.uncontended * 100, unit: '%', target: '≥ 50%', met: ratioToRawSql.uncontended >= 0.5 },
    figure('events of those runs delivered before reads', r.backlogBeforeReads.events, ''),
    figure('  delivered in', r.backlogBeforeReads.seconds, 's'),
    figure(`stock reads answered (offered ${settings.readRate}/s)`, reads.rate, '/s'),
    figure('  latency p50', reads.p50Ms, 'ms'),
    { name: '  latency p99', value: reads.p99Ms, unit: 'ms', target: '< 10 ms', met: reads.p99Ms < 10 },
    figure('requests refused or failed (all runs)', hot.failed + spread.failed + reads.failed, ''),
  ]
}

async function benchEngine(target: BenchTarget): Promise<InventoryBenchResult> {
  process.stdout.write(`\n[${target.engine}] seeding ${settings.skus} SKUs and starting the server…\n`)
  // Other work on the machine skews every figure: keep the load next to them.
  const loadBefore = machine().loadAverage
  const measured = await measureServer(target)
  process.stdout.write(`[${target.engine}] measuring the raw SQL ceiling…\n`)
  const rawSql = await measureRawSql(target, { concurrency: settings.concurrency, seconds: settings.rawSeconds, skus: settings.skus })
  const ratioToRawSql = {
    contended: measured.reservationsContended.rate / rawSql.contended.rate,
    uncontended: measured.reservationsUncontended.rate / rawSql.uncontended.rate,
  }
  const partial = { ...measured, rawSql, ratioToRawSql }
  return {
    engine: target.engine,
    date: new Date().toISOString(),
    machine: { ...machine(), loadAverageBefore: loadBefore },
    settings,
    ...partial,
    checks: checksOf(target.engine, partial),
  }
}

/** Runs the inventory benchmark on every available engine; answers the results. */
export async function runInventoryBench(): Promise<InventoryBenchResult[]> {
  const results: InventoryBenchResult[] = []
  for (const target of await benchTargets()) {
    try {
      const result = await benchEngine(target)
      results.push(result)
      const path = writeResult(target.engine, result)
      printTable(`Inventory on ${target.engine} (${result.machine.cpus} × ${result.machine.model}, concurrency ${settings.concurrency}) → ${path}`, result.checks)
    } finally {
      await target.dispose()
    }
  }
  if (results.length > 0) {
    writeBarChart(
      `${resultsDir}summary.svg`,
      `Reservations per second: Omnia over HTTP vs raw SQL (${results[0]!.date.slice(0, 10)})`,
      '/s',
      results.map((r) => ({
        label: r.engine === 'pglite' ? 'Embedded (PGlite)' : 'PostgreSQL server',
        bars: [
          { label: 'Omnia, random SKU', value: r.reservationsUncontended.rate },
          { label: 'raw SQL, random row', value: r.rawSql.uncontended.rate },
          { label: 'Omnia, one hot SKU', value: r.reservationsContended.rate },
          { label: 'raw SQL, hot row', value: r.rawSql.contended.rate },
        ],
        note: `stock read at ${settings.readRate}/s: p50 ${r.stockReads.p50Ms.toFixed(1)} ms, p99 ${r.stockReads.p99Ms.toFixed(1)} ms`,
      })),
    )
  }
  return results
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runInventoryBench()
}
