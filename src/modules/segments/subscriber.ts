import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import type { OutboxEvent, Subscriber } from '../../kernel/outbox/index.js'
import { rfmTrait } from './builtins.js'
import { countFacts } from './counters.js'
import type { SegmentsTables } from './db.js'
import { addFactsToTraits, traitDefinitions } from './definitions.js'
import { factsOf, storeFacts } from './facts.js'
import { foldProfiles, splitProfiles } from './merges.js'
import { toSurvivors } from './profiles.js'
import { projectCustomerFacts } from './projections.js'
import { reevaluate } from './reevaluate.js'
import { refreshRfm } from './rfm.js'

type STx = Tx<SegmentsTables>

/** The checkpoint name of the traits and segments subscriber: renaming it would replay every fact. */
export const segmentsConsumer = 'segments.traits'

const rfmInputs = new Set(['orderCount', 'lifetimeValue', 'lastOrderAt'])

/**
 * Applies a run of facts (no merge among them): stores them, adds them to the daily counters,
 * the traits and the identity/consent copies — a fixed handful of statements whatever the run's
 * length — then re-evaluates, for the profiles concerned, the segments that read what changed.
 */
async function applyFacts(tx: STx, clock: Clock, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return
  const now = clock.now()
  const fresh = await storeFacts(tx, await factsOf(tx, events))
  if (fresh.length === 0) return
  const { facts, fresh: newcomers } = await toSurvivors(tx, fresh, now)
  await countFacts(tx, facts)
  const states = await addFactsToTraits(tx, now, facts, await traitDefinitions(tx))
  const changed = await projectCustomerFacts(tx, facts)
  for (const f of facts) changed.add(`event:${f.name}`)
  for (const s of states) changed.add(`trait:${s.trait}`)
  const buyers = [...new Set(states.filter((s) => rfmInputs.has(s.trait)).map((s) => s.profileId))]
  if (buyers.length > 0) {
    await refreshRfm(tx, now, buyers)
    changed.add(`trait:${rfmTrait}`)
  }
  const known = new Set(newcomers)
  await reevaluate(tx, now, newcomers, null)
  await reevaluate(tx, now, [...new Set(facts.map((f) => f.profileId))].filter((p) => !known.has(p)), changed)
}

const idOf = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null)

/**
 * Applies delivered outbox events in order. Merges and unmerges cut the batch into runs, so the
 * facts before a merge are counted on the loser and folded with it, and those after land on
 * the survivor.
 */
export async function applyEvents(tx: STx, clock: Clock, events: readonly OutboxEvent[]): Promise<void> {
  let run: OutboxEvent[] = []
  for (const e of events) {
    const survivor = idOf(e.payload.survivorId)
    const loser = idOf(e.payload.loserId)
    if ((e.name !== 'customer.merged' && e.name !== 'customer.unmerged') || !survivor || !loser) {
      run.push(e)
      continue
    }
    await applyFacts(tx, clock, run)
    run = []
    if (e.name === 'customer.merged') await foldProfiles(tx, clock, survivor, loser)
    else await splitProfiles(tx, clock, survivor, loser)
  }
  await applyFacts(tx, clock, run)
}

/** The outbox subscriber that keeps traits, behaviour counters and segment memberships current. */
export function segmentsSubscriber(clock: Clock): Subscriber {
  return {
    consumer: segmentsConsumer,
    // Every fact: any of them may be about a person, and `*` trait definitions count them all.
    names: [],
    handle: (events, tx) => applyEvents(tx, clock, events),
  }
}
