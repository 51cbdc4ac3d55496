import { pathToFileURL } from 'node:url'
import { benchTargets, type BenchTarget } from './lib/engines.js'
import { closedLoop, openLoop, type LoadResult, type Outcome } from './lib/load.js'
import { bearer, LoadClient } from './lib/load-client.js'
import { waitUntilDelivered } from './lib/outbox.js'
import { machine, machineBusyMs, printTable, resultsDir, writeBarChart, writeResult, type Check } from './lib/report.js'
import { seedThroughCli } from './lib/seed.js'

/**
 * Order placement over real HTTP against the real server in a child process: each request is a
 * whole `POST /v1/orders` (customer resolved or created, prices, promotions, stock reserved,
 * payment recorded, number, fulfilment, `order.placed`). Throughput with a closed loop, then
 * latency at half the target rate offered by an open loop. Figures go to
 * bench/results/orders-<engine>-<yyyymmdd>.json and a chart; speed never fails the run.
 *
 * Settings: BENCH_ENGINES (pglite,postgres), BENCH_ORDER_SECONDS (12), BENCH_CONCURRENCY (32),
 * BENCH_ORDER_SKUS (2000), BENCH_ORDER_CUSTOMERS (5000), BENCH_DATABASE_URL, BENCH_CPU_PROFILE (a
 * folder for the server's V8 CPU profile).
 */

const settings = {
  seconds: Number(process.env.BENCH_ORDER_SECONDS ?? 12),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32),
  skus: Number(process.env.BENCH_ORDER_SKUS ?? 2_000),
  customers: Number(process.env.BENCH_ORDER_CUSTOMERS ?? 5_000),
}

const targetRate = { pglite: 150, postgres: 500 } as const
const location = 'wh-1'
const skuAt = (i: number) => `ORD-${String(i).padStart(5, '0')}`

export type OrdersBenchResult = {
  engine: string
  date: string
  machine: ReturnType<typeof machine>
  settings: typeof settings
  seedSeconds: number
  throughput: LoadResult
  /** Busy CPU time of the whole machine during the closed loop, per order placed. */
  cpuMsPerOrder: number
  /** Deliveries still pending when the closed loop ended, and how long they took. */
  backlog: { events: number; seconds: number }
  atHalfTarget: LoadResult & { offered: number }
  checks: Check[]
}

/** One order of 1–3 random SKUs for one of `customers` people (new ones are created). */
function placeOne(client: LoadClient, run: string) {
  return async (i: number): Promise<Outcome> => {
    const count = 1 + (i % 3)
    const picked = new Set<string>()
    while (picked.size < count) picked.add(skuAt(Math.floor(Math.random() * settings.skus)))
    const status = await client.send(
      'POST',
      '/v1/orders',
      {
        customer: { email: `shopper${Math.floor(Math.random() * settings.customers)}@bench.example` },
        lines: [...picked].map((sku) => ({ sku, quantity: 1 })),
        fulfillment: { method: 'ship', address: { line1: `${i} Bench street`, city: 'Athens', country: 'GR' } },
        payment: { method: 'cash_on_delivery' },
      },
      { 'idempotency-key': `${run}-${i}` },
    )
    return { ok: status === 201, status }
  }
}

async function benchEngine(target: BenchTarget): Promise<OrdersBenchResult> {
  process.stdout.write(`\n[${target.engine}] seeding ${settings.skus} SKUs and starting the server…\n`)
  const stock = new Map<string, number>()
  for (let i = 0; i < settings.skus; i++) stock.set(skuAt(i), 1_000_000)
  const { server, key, seconds: seedSeconds } = await seedThroughCli(target.server, location, stock)
  try {
    const client = new LoadClient(server.url, bearer(key))
    // Warm-up, not measured: sockets, compiled paths, and the first customers created.
    await closedLoop({ concurrency: settings.concurrency, seconds: 3, send: placeOne(client, 'warm') })
    process.stdout.write(`[${target.engine}] closed loop, ${settings.concurrency} clients, ${settings.seconds} s…\n`)
    const busyBefore = machineBusyMs()
    const throughput = await closedLoop({ concurrency: settings.concurrency, seconds: settings.seconds, send: placeOne(client, 'closed') })
    const cpuMsPerOrder = (machineBusyMs() - busyBefore) / Math.max(throughput.ok, 1)
    // The latency run starts from a quiet server, not behind the closed loop's deliveries; how
    // far behind those were says whether timelines and traits keep up at the full rate.
    const backlog = await waitUntilDelivered(server)
    const offered = targetRate[target.engine] / 2
    process.stdout.write(`[${target.engine}] open loop at ${offered}/s, ${settings.seconds} s…\n`)
    const atHalf = await openLoop({ rate: offered, seconds: settings.seconds, send: placeOne(client, 'open') })
    client.close()
    const target_ = targetRate[target.engine]
    const checks: Check[] = [
      { name: 'orders placed, closed loop', value: throughput.rate, unit: '/s', target: `≥ ${target_}/s`, met: throughput.rate >= target_ },
      { name: '  latency p50', value: throughput.p50Ms, unit: 'ms', target: '', met: null },
      { name: '  latency p99', value: throughput.p99Ms, unit: 'ms', target: '', met: null },
      { name: '  machine CPU per order (all processes)', value: cpuMsPerOrder, unit: 'ms', target: '', met: null },
      { name: 'outbox events behind after the closed loop', value: backlog.events, unit: '', target: '', met: null },
      { name: '  delivered within', value: backlog.seconds, unit: 's', target: '', met: null },
      { name: `orders answered at ${offered}/s offered`, value: atHalf.rate, unit: '/s', target: '', met: null },
      { name: '  latency p50', value: atHalf.p50Ms, unit: 'ms', target: '', met: null },
      { name: '  latency p99', value: atHalf.p99Ms, unit: 'ms', target: '< 100 ms', met: atHalf.p99Ms < 100 },
      { name: 'requests refused or failed', value: throughput.failed + atHalf.failed, unit: '', target: '0', met: throughput.failed + atHalf.failed === 0 },
    ]
    return {
      engine: target.engine,
      date: new Date().toISOString(),
      machine: machine(),
      settings,
      seedSeconds,
      throughput,
      cpuMsPerOrder,
      backlog,
      atHalfTarget: { ...atHalf, offered },
      checks,
    }
  } finally {
    const exit = await server.stop()
    if (exit.code !== 0) process.stderr.write(`server exited with ${JSON.stringify(exit)}:\n${server.stderr()}\n`)
  }
}

/** Runs the order benchmark on every available engine; answers the results. */
export async function runOrdersBench(): Promise<OrdersBenchResult[]> {
  const results: OrdersBenchResult[] = []
  for (const target of await benchTargets()) {
    try {
      const result = await benchEngine(target)
      results.push(result)
      const path = writeResult(`orders-${target.engine}`, result)
      printTable(`Order placement on ${target.engine} (${result.machine.cpus} × ${result.machine.model}) → ${path}`, result.checks)
    } finally {
      await target.dispose()
    }
  }
  if (results.length > 0) {
    writeBarChart(
      `${resultsDir}orders.svg`,
      `Orders placed per second over HTTP (${results[0]!.date.slice(0, 10)})`,
      '/s',
      results.map((r) => ({
        label: r.engine === 'pglite' ? 'Embedded (PGlite)' : 'PostgreSQL server',
        bars: [
          { label: `closed loop, ${settings.concurrency} clients`, value: r.throughput.rate },
          { label: 'target', value: targetRate[r.engine as keyof typeof targetRate] },
        ],
        note: `at ${r.atHalfTarget.offered}/s offered: p50 ${r.atHalfTarget.p50Ms.toFixed(1)} ms, p99 ${r.atHalfTarget.p99Ms.toFixed(1)} ms`,
      })),
    )
  }
  return results
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runOrdersBench()
}
