import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.js'
import { engines } from '../../../test/support/engines.js'
import { fixedClock } from '../clock.js'
import { inTransaction } from '../db/index.js'
import { appendEvents } from './append.js'
import { OutboxDispatcher, type Subscriber } from './dispatcher.js'
import type { OutboxEvent } from './index.js'

const logger = pino({ level: 'silent' })
const clock = fixedClock()

function recorder(consumer: string, names: string[] = []) {
  const seen: OutboxEvent[] = []
  const subscriber: Subscriber = { consumer, names, handle: async (events) => void seen.push(...events) }
  return { seen, subscriber }
}

describe.each(engines)('outbox on %s', (engine) => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await openTestDatabase(engine, 20)
  })
  afterAll(() => t.close())
  beforeEach(() => t.reset())

  it('delivers every committed event once, in commit-safe order, and none that rolled back', async () => {
    const writers = Array.from({ length: 40 }, (_, i) =>
      inTransaction(t.db, async (tx) => {
        await appendEvents(tx, clock, [{ name: 'test.happened', payload: { i, part: 1 } }, { name: 'test.happened', payload: { i, part: 2 } }])
        if (i % 10 === 9) throw new Error('rolled back')
      }).catch(() => undefined),
    )
    const { seen, subscriber } = recorder('all')
    const dispatcher = new OutboxDispatcher(t.db, clock, logger)
    dispatcher.subscribe(subscriber)
    await Promise.all(writers.map(async (w) => { await w; await dispatcher.drain() }))
    await dispatcher.drain()
    const delivered = seen.map((e) => `${e.payload.i}/${e.payload.part}`)
    expect(new Set(delivered).size).toBe(delivered.length)
    expect(delivered).toHaveLength(36 * 2)
    expect(delivered.some((d) => d.startsWith('9/'))).toBe(false)
    // The two events of one transaction arrive together and in the order they were appended.
    for (let k = 0; k < seen.length; k += 2) {
      expect(seen[k]!.payload.i).toBe(seen[k + 1]!.payload.i)
      expect([seen[k]!.payload.part, seen[k + 1]!.payload.part]).toEqual([1, 2])
    }
  })

  it('delivers in numeric transaction order across batches, whatever the ids look like as text', async () => {
    // Transaction ids of different lengths ('999' sorts after '1000' as text), older than any
    // running transaction, and more rows than one batch holds.
    await sql`insert into kernel.outbox (tx_id, name, version, payload, occurred_at)
      select t::text::xid8, 'test.numbered', 1, jsonb_build_object('tx', t), now()
      from unnest(array[9, 10, 99, 100, 999, 1000]) as t`.execute(t.db)
    const { seen, subscriber } = recorder('numbered')
    const dispatcher = new OutboxDispatcher(t.db, clock, logger, { pollMs: 100, batchSize: 2, gatherMs: 0 })
    dispatcher.subscribe(subscriber)
    await dispatcher.drain()
    expect(seen.map((e) => e.payload.tx)).toEqual([9, 10, 99, 100, 999, 1000])
  })

  it('resumes from its checkpoint after a restart and filters by name', async () => {
    await inTransaction(t.db, (tx) => appendEvents(tx, clock, [{ name: 'a.one', payload: {} }, { name: 'b.two', payload: {} }]))
    const first = recorder('only-a', ['a.one'])
    const d1 = new OutboxDispatcher(t.db, clock, logger)
    d1.subscribe(first.subscriber)
    await d1.drain()
    expect(first.seen.map((e) => e.name)).toEqual(['a.one'])

    await inTransaction(t.db, (tx) => appendEvents(tx, clock, [{ name: 'a.one', payload: { n: 2 } }]))
    const second = recorder('only-a', ['a.one'])
    const d2 = new OutboxDispatcher(t.db, clock, logger)
    d2.subscribe(second.subscriber)
    await d2.drain()
    expect(second.seen.map((e) => e.payload)).toEqual([{ n: 2 }])
  })

  it('redelivers a batch whose handler failed, with the handler writes rolled back', async () => {
    await inTransaction(t.db, (tx) => appendEvents(tx, clock, [{ name: 'x.done', payload: {} }]))
    let calls = 0
    const dispatcher = new OutboxDispatcher(t.db, clock, logger)
    dispatcher.subscribe({
      consumer: 'flaky',
      names: ['x.done'],
      handle: async (_events, tx) => {
        calls++
        await appendEvents(tx, clock, [{ name: 'y.derived', payload: { call: calls } }])
        if (calls === 1) throw new Error('transient')
      },
    })
    await expect(dispatcher.drain()).rejects.toThrow('transient')
    await dispatcher.drain()
    const derived = await t.db.selectFrom('kernel.outbox').select('payload').where('name', '=', 'y.derived').execute()
    expect(derived.map((r) => r.payload)).toEqual([{ call: 2 }])
  })

  it('moves a consumer past the events it does not want, and hands it the next one it does', async () => {
    const append = (name: string, count: number) =>
      inTransaction(t.db, (tx) => appendEvents(tx, clock, Array.from({ length: count }, (_, n) => ({ name, payload: { n } }))))
    const rare = recorder('rare', ['n.rare'])
    const all = recorder('all')
    const processes = [0, 1].map(() => new OutboxDispatcher(t.db, clock, logger, { pollMs: 10, batchSize: 100, gatherMs: 5 }))
    for (const d of processes) {
      d.subscribe(rare.subscriber)
      d.subscribe(all.subscriber)
    }
    await append('n.rare', 1)
    // The first delivery stores its checkpoint; from then on unwanted events only move it.
    await processes[0]!.drain()
    for (let k = 0; k < 5; k++) await append('n.seq', 100)
    for (const d of processes) d.start()
    const checkpoint = async () =>
      (await sql<{ at: string }>`select tx_id::text || '/' || event_id as at from kernel.consumer_checkpoint where consumer = 'rare'`.execute(t.db)).rows[0]?.at
    const last = async () =>
      (await sql<{ at: string }>`select tx_id::text || '/' || id as at from kernel.outbox order by tx_id desc, id desc limit 1`.execute(t.db)).rows[0]?.at
    const until = async (done: () => Promise<boolean>) => {
      const deadline = Date.now() + 20_000
      while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    }
    await until(async () => (await checkpoint()) === (await last()))
    expect(await checkpoint()).toBe(await last())
    expect(rare.seen).toHaveLength(1)
    await append('n.rare', 1)
    await until(async () => rare.seen.length === 2 && all.seen.length === 502)
    await Promise.all(processes.map((d) => d.stop()))
    expect(rare.seen.map((e) => e.name)).toEqual(['n.rare', 'n.rare'])
    expect(all.seen).toHaveLength(502)
  })

  it('running in two processes, hands each consumer every event once from its own checkpoint, past a full batch', async () => {
    const append = (from: number, count: number) =>
      inTransaction(t.db, (tx) =>
        appendEvents(tx, clock, Array.from({ length: count }, (_, i) => ({ name: 'n.seq', payload: { n: from + i } }))),
      )
    await append(0, 3)
    const ahead = recorder('ahead')
    const early = new OutboxDispatcher(t.db, clock, logger)
    early.subscribe(ahead.subscriber)
    await early.drain()
    for (let k = 0; k < 6; k++) await append(3 + k * 100, 100)

    const behind = recorder('behind')
    const processes = [0, 1].map(() => new OutboxDispatcher(t.db, clock, logger, { pollMs: 10, batchSize: 500, gatherMs: 5 }))
    for (const d of processes) {
      d.subscribe(ahead.subscriber)
      d.subscribe(behind.subscriber)
      d.start()
    }
    const deadline = Date.now() + 20_000
    while ((ahead.seen.length < 603 || behind.seen.length < 603) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
    }
    await Promise.all(processes.map((d) => d.stop()))
    const numbers = (seen: OutboxEvent[]) => seen.map((e) => e.payload.n)
    expect(numbers(ahead.seen)).toEqual(Array.from({ length: 603 }, (_, i) => i))
    expect(numbers(behind.seen)).toEqual(Array.from({ length: 603 }, (_, i) => i))
  })
})
