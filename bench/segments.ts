import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { sql, type Kysely } from 'kysely'
import { fixedClock } from '../src/kernel/clock.js'
import { inTransaction, migrateToLatest, openEngine, type Engine } from '../src/kernel/db/index.js'
import { migrations } from '../src/modules.js'
import { applyEvents, previewRule, recomputeSegment, type Rule } from '../src/modules/segments/index.js'
import type { OutboxEvent } from '../src/kernel/outbox/index.js'
import { embeddedTarget, postgresTarget, type BenchTarget } from './lib/engines.js'
import { machine, printTable, resultsDir, type Check } from './lib/report.js'

/**
 * Full recompute of a behavioural segment over 1,000,000 profiles, in process on each engine:
 * "viewed a product at least 3 times in the last 7 days on the app and no order since". The
 * behaviour facts are seeded straight into the daily counters with generate_series (what the
 * subscriber maintains incrementally), then the segment is recomputed three times: from empty
 * (everyone qualifying enters: memberships, history and one outbox event each), again the same
 * day (nothing changes: the cost of computing and diffing the set), and a day later (people drop
 * out of the window). A second segment narrows views by an event property ("viewed shoes at
 * least twice in 7 days"), which is read from two million stored facts rather than the counters,
 * and is recomputed once from empty. Figures go to bench/results/segments-<engine>.json; speed
 * never fails.
 *
 * Settings: BENCH_ENGINES (pglite,postgres), BENCH_PROFILES (1000000), BENCH_DATABASE_URL.
 */

const profiles = Number(process.env.BENCH_PROFILES ?? 1_000_000)
const targetSeconds = 10

const rule: Rule = {
  type: 'behaviour',
  event: 'product_viewed',
  channel: 'app',
  atLeast: 3,
  withinDays: 7,
  notSince: { event: 'order.placed' },
}

/** The same people narrowed by an event property: read from the stored facts, not the counters. */
const filteredRule: Rule = {
  type: 'behaviour',
  event: 'product_viewed',
  where: [{ path: 'properties.category', op: 'eq', value: 'shoes' }],
  atLeast: 2,
  withinDays: 7,
}

export type SegmentsBenchResult = {
  engine: string
  date: string
  machine: ReturnType<typeof machine>
  profiles: number
  counterRows: number
  seedSeconds: number
  previewSeconds: number
  firstRecompute: { seconds: number; entered: number; exited: number }
  unchangedRecompute: { seconds: number; entered: number; exited: number }
  nextDayRecompute: { seconds: number; entered: number; exited: number }
  factRows: number
  filteredRecompute: { seconds: number; entered: number; exited: number }
  /** One dispatcher batch of 500 product views applied incrementally (counters, traits, segment). */
  incrementalBatchSeconds: number
  checks: Check[]
}

/**
 * Two view rows per profile on different days of the last fortnight (1–3 views each, a third on
 * the web), a page view per profile, and an order in the last month for one profile in ten.
 */
export async function seed(db: Kysely<any>, today: string): Promise<number> {
  // Built once after the rows are in rather than maintained row by row: seeding only.
  await sql`drop index segments.daily_count_profile_idx`.execute(db)
  await sql`
    insert into segments.profile (id, merged_into, first_seen_at)
    select 'p' || lpad(g::text, 7, '0'), null, now() from generate_series(1, ${profiles}) g`.execute(db)
  await sql`
    insert into segments.daily_count (name, day, channel, profile_id, occurrences, last_at)
    select 'product_viewed', ${today}::date - d.offset_days, case when g % 3 = 0 then 'web' else 'app' end,
      'p' || lpad(g::text, 7, '0'), 1 + (g + d.offset_days) % 3, (${today}::date - d.offset_days) + time '10:00'
    from generate_series(1, ${profiles}) g,
      lateral (values (g % 14), (((g % 14) + 5) % 14)) as d(offset_days)`.execute(db)
  await sql`
    insert into segments.daily_count (name, day, channel, profile_id, occurrences, last_at)
    select 'page', ${today}::date - (g % 30), 'web', 'p' || lpad(g::text, 7, '0'), 1, (${today}::date - (g % 30)) + time '10:00' from generate_series(1, ${profiles}) g`.execute(db)
  await sql`
    insert into segments.daily_count (name, day, channel, profile_id, occurrences, last_at)
    select 'order.placed', ${today}::date - (g % 30), 'app', 'p' || lpad(g::text, 7, '0'), 1, (${today}::date - (g % 30)) + time '15:00'
    from generate_series(10, ${profiles}, 10) g`.execute(db)
  await sql`create index daily_count_profile_idx on segments.daily_count (profile_id, name, day)`.execute(db)
  await sql`analyze segments.daily_count`.execute(db)
  await sql`analyze segments.profile`.execute(db)
  const n = await sql<{ n: number }>`select count(*)::int as n from segments.daily_count`.execute(db)
  return n.rows[0]!.n
}

/** Two stored product views per profile in the last fortnight; a third of the people viewed shoes. */
export async function seedFacts(db: Kysely<any>, today: string): Promise<number> {
  await sql`drop index segments.fact_profile_idx`.execute(db)
  await sql`drop index segments.fact_name_idx`.execute(db)
  await sql`
    insert into segments.fact (source, profile_id, name, channel, occurred_at, properties)
    select 'bench:' || g || ':' || k, 'p' || lpad(g::text, 7, '0'), 'product_viewed', 'web',
      (${today}::date - ((g + 5 * k) % 14)) + time '11:00',
      jsonb_build_object('sku', 'SKU-' || (g % 50), 'category', (array['shoes', 'bags', 'hats'])[1 + g % 3])
    from generate_series(1, ${profiles}) g, generate_series(1, 2) k`.execute(db)
  await sql`create index fact_profile_idx on segments.fact (profile_id, occurred_at)`.execute(db)
  await sql`create index fact_name_idx on segments.fact (name, occurred_at)`.execute(db)
  await sql`analyze segments.fact`.execute(db)
  const n = await sql<{ n: number }>`select count(*)::int as n from segments.fact`.execute(db)
  return n.rows[0]!.n
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now()
  const value = await work()
  return { seconds: (performance.now() - started) / 1000, value }
}

async function benchOne(target: BenchTarget): Promise<SegmentsBenchResult> {
  const engine: Engine<any> = await openEngine<any>({
    databaseUrl: target.databaseUrl ?? undefined,
    dataDir: target.scratchDir ?? '',
    poolSize: 4,
  })
  try {
    const db = engine.db
    await migrateToLatest(db, migrations)
    const clock = fixedClock('2026-03-10T12:00:00Z')
    const today = clock.now().toISOString().slice(0, 10)
    const seeded = await timed(() => seed(db, today))
    process.stdout.write(`  ${target.engine}: seeded ${seeded.value} counter rows in ${seeded.seconds.toFixed(1)} s\n`)
    const facts = await timed(() => seedFacts(db, today))
    process.stdout.write(`  ${target.engine}: seeded ${facts.value} facts in ${facts.seconds.toFixed(1)} s\n`)
    const preview = await timed(() => inTransaction(db, (tx) => previewRule(tx, clock.now(), rule, 5)))
    await sql`
      insert into segments.segment (id, name, description, rule, depends_on, is_time_relative, rank, evaluated_on, member_count, created_at, updated_at)
      values ('seg_bench', 'Browsing, not buying', null, ${JSON.stringify(rule)}::jsonb,
        array['event:order.placed', 'event:product_viewed'], true, 0, null, 0, now(), now())`.execute(db)
    await sql`
      insert into segments.segment (id, name, description, rule, depends_on, is_time_relative, rank, evaluated_on, member_count, created_at, updated_at)
      values ('seg_shoes', 'Shoe browsers', null, ${JSON.stringify(filteredRule)}::jsonb,
        array['event:product_viewed'], true, 0, null, 0, now(), now())`.execute(db)
    const recompute = (id = 'seg_bench') => timed(() => inTransaction(db, (tx) => recomputeSegment(tx, clock, id)))
    const first = await recompute()
    const unchanged = await recompute()
    const filtered = await recompute('seg_shoes')
    clock.advance(86_400_000)
    const nextDay = await recompute()
    const batch: OutboxEvent[] = Array.from({ length: 500 }, (_, i) => ({
      id: 1_000_000_000 + i,
      name: 'product_viewed',
      version: 1,
      payload: { sku: `SKU-${i % 50}` },
      channel: 'app',
      profileId: `p${String(1 + ((i * 7919) % profiles)).padStart(7, '0')}`,
      occurredAt: clock.now(),
    }))
    const incremental = await timed(() => inTransaction(db, (tx) => applyEvents(tx, clock, batch)))
    const summary = (r: typeof first) => ({ seconds: r.seconds, entered: r.value.entered, exited: r.value.exited })
    const checks: Check[] = [
      { name: 'seed (set-based)', value: seeded.seconds, unit: 's', target: '', met: null },
      { name: 'preview (count, no writes)', value: preview.seconds, unit: 's', target: '', met: null },
      { name: `recompute from empty (${first.value.entered} enter)`, value: first.seconds, unit: 's', target: `< ${targetSeconds} s`, met: first.seconds < targetSeconds },
      { name: 'recompute, nothing changed', value: unchanged.seconds, unit: 's', target: `< ${targetSeconds} s`, met: unchanged.seconds < targetSeconds },
      { name: `recompute a day later (${nextDay.value.entered} in, ${nextDay.value.exited} out)`, value: nextDay.seconds, unit: 's', target: `< ${targetSeconds} s`, met: nextDay.seconds < targetSeconds },
      { name: `filtered by a property, from facts (${filtered.value.entered} enter)`, value: filtered.seconds, unit: 's', target: `< ${targetSeconds} s`, met: filtered.seconds < targetSeconds },
      { name: 'incremental batch of 500 views', value: incremental.seconds, unit: 's', target: '< 1 s', met: incremental.seconds < 1 },
    ]
    return {
      engine: target.engine,
      date: new Date().toISOString(),
      machine: machine(),
      profiles,
      counterRows: seeded.value,
      seedSeconds: seeded.seconds,
      previewSeconds: preview.seconds,
      factRows: facts.value,
      filteredRecompute: summary(filtered),
      firstRecompute: summary(first),
      unchangedRecompute: summary(unchanged),
      nextDayRecompute: summary(nextDay),
      incrementalBatchSeconds: incremental.seconds,
      checks,
    }
  } finally {
    await engine.close()
  }
}

/** Runs the bench on each engine asked for (PostgreSQL only when a server answers) and stores the figures. */
export async function runSegmentsBench(): Promise<SegmentsBenchResult[]> {
  const wanted = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',')
  const results: SegmentsBenchResult[] = []
  for (const kind of wanted) {
    const target = kind === 'postgres' ? await postgresTarget() : embeddedTarget()
    if (!target) {
      process.stdout.write('  postgres: no server answers; skipped\n')
      continue
    }
    try {
      const result = await benchOne(target)
      printTable(`Segment recompute over ${profiles.toLocaleString('en')} profiles on ${target.engine}`, result.checks)
      mkdirSync(resultsDir, { recursive: true })
      writeFileSync(join(resultsDir, `segments-${target.engine}.json`), `${JSON.stringify(result, null, 2)}\n`)
      results.push(result)
    } finally {
      await target.dispose()
    }
  }
  return results
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSegmentsBench()
  process.exit(0)
}
