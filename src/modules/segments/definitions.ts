import { sql } from 'kysely'
import type { Tx } from '../../kernel/db/index.js'
import { alreadyExists } from '../../kernel/errors.js'
import { builtInTraits, customTraitPrefix, reservedTraitNames } from './builtins.js'
import type { SegmentsTables } from './db.js'
import { factsOfProfiles, type Fact } from './facts.js'
import { survivorsOf } from './profiles.js'
import type { TraitDefinition } from './schema.js'
import { aggregate, mergeStates, type State, type ValueRule } from './trait-state.js'

type STx = Tx<SegmentsTables>

/** Built-in definitions first, then those added through the API, oldest first. */
export async function traitDefinitions(tx: STx): Promise<TraitDefinition[]> {
  const rows = await tx.selectFrom('segments.trait_definition').select('definition').orderBy('created_at').orderBy('name').execute()
  return [...builtInTraits, ...rows.map((r) => r.definition as TraitDefinition)]
}

export async function listTraitDefinitions(tx: STx) {
  const rows = await tx.selectFrom('segments.trait_definition').selectAll().orderBy('created_at').orderBy('name').execute()
  return [
    ...builtInTraits.map((d) => ({ name: d.name, builtIn: true, definition: d, createdAt: null })),
    ...rows.map((r) => ({ name: r.name, builtIn: false, definition: r.definition, createdAt: r.created_at.toISOString() })),
  ]
}

/** How the values of these traits are computed: by their definitions; custom ones keep the latest. */
export function valueRules(
  traits: Iterable<string>,
  definitions: readonly TraitDefinition[],
): Map<string, ValueRule> {
  const byName = new Map(definitions.map((d) => [d.name, d.aggregate]))
  const rules = new Map<string, ValueRule>()
  for (const trait of traits) {
    const a = byName.get(trait)
    if (a) rules.set(trait, { op: a.op, k: a.op === 'top' ? a.limit : 0 })
    else if (trait.startsWith(customTraitPrefix)) rules.set(trait, { op: 'last', k: 0 })
  }
  return rules
}

/** Aggregates facts (already on their survivors) into stored traits and values: one statement. */
export async function addFactsToTraits(tx: STx, now: Date, facts: readonly Fact[], definitions: readonly TraitDefinition[]): Promise<State[]> {
  const states = aggregate(facts, definitions, customTraitPrefix)
  await mergeStates(tx, states, now, valueRules(states.map((s) => s.trait), definitions))
  return states
}

const backfillChunk = 5_000

type FactRow = { source: string; profile_id: string; name: string; channel: string | null; occurred_at: Date; properties: unknown }

/**
 * Stores a new trait definition and computes it for everyone from the stored facts, in chunks
 * of 5,000 facts (each chunk three statements: the facts, their survivors, the states) read in
 * (occurred_at, source) order, so `first` and `last` see history in order. `already-exists` for
 * a built-in or defined name.
 */
export async function defineTrait(tx: STx, now: Date, definition: TraitDefinition): Promise<void> {
  if (reservedTraitNames.has(definition.name)) throw alreadyExists('trait definition', 'name', definition.name)
  const inserted = await tx
    .insertInto('segments.trait_definition')
    .values({ name: definition.name, definition: JSON.stringify(definition), created_at: now, backfilled_at: null })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst()
  if (!inserted) throw alreadyExists('trait definition', 'name', definition.name)
  const names = definition.source.events.includes('*') ? null : definition.source.events
  let after: { at: Date; source: string } | null = null
  for (;;) {
    const { rows }: { rows: FactRow[] } = await sql<FactRow>`
        select source, profile_id, name, channel, occurred_at, properties from segments.fact
        where true ${names ? sql`and name = any(${names}::text[])` : sql``}
          ${after ? sql`and (occurred_at, source) > (${after.at}::timestamptz, ${after.source})` : sql``}
        order by occurred_at, source limit ${backfillChunk}`.execute(tx)
    if (rows.length === 0) break
    const survivors = await survivorsOf(tx, rows.map((r) => r.profile_id), now)
    const facts: Fact[] = rows.map((r) => ({
      source: r.source,
      profileId: survivors.get(r.profile_id) ?? r.profile_id,
      name: r.name,
      channel: r.channel,
      occurredAt: r.occurred_at,
      properties: (r.properties ?? {}) as Record<string, unknown>,
    }))
    const states = aggregate(facts, [definition], null)
    await mergeStates(tx, states, now, valueRules([definition.name], [definition]))
    const last: FactRow = rows.at(-1)!
    after = { at: last.occurred_at, source: last.source }
    if (rows.length < backfillChunk) break
  }
  await tx.updateTable('segments.trait_definition').set({ backfilled_at: now }).where('name', '=', definition.name).execute()
}

/** Recomputes every trait of some profiles from the facts of the profiles folded into each (after an unmerge). */
export async function rebuildTraits(tx: STx, now: Date, owners: ReadonlyMap<string, string>, definitions: readonly TraitDefinition[]) {
  const targets = [...new Set(owners.values())]
  await sql`delete from segments.trait_state where profile_id = any(${targets}::text[])`.execute(tx)
  const facts = (await factsOfProfiles(tx, [...owners.keys()])).map((f) => ({ ...f, profileId: owners.get(f.profileId)! }))
  await addFactsToTraits(tx, now, facts, definitions)
}

