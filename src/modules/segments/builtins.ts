import type { TraitDefinition } from './schema.js'

const orders = { events: ['order.placed'], where: [] }
const everything = { events: ['*'], where: [] }

/**
 * The traits every profile has, written as data like any definition added through the API.
 * Money traits are in the orders' minor units and assume one currency per shop.
 */
export const builtInTraits: readonly TraitDefinition[] = [
  { name: 'orderCount', source: orders, aggregate: { op: 'count' } },
  { name: 'lifetimeValue', source: orders, aggregate: { op: 'sum', path: 'properties.total.amount' } },
  { name: 'averageOrderValue', source: orders, aggregate: { op: 'avg', path: 'properties.total.amount' } },
  { name: 'firstOrderAt', source: orders, aggregate: { op: 'first', path: 'occurredAt' } },
  { name: 'lastOrderAt', source: orders, aggregate: { op: 'last', path: 'occurredAt' } },
  { name: 'firstOrderChannel', source: orders, aggregate: { op: 'first', path: 'channel' } },
  { name: 'lastOrderChannel', source: orders, aggregate: { op: 'last', path: 'channel' } },
  { name: 'favouriteCategories', source: orders, aggregate: { op: 'top', path: 'properties.categories', limit: 3 } },
  { name: 'preferredStore', source: orders, aggregate: { op: 'mode', path: 'properties.store' } },
  { name: 'lastSeenPerChannel', source: everything, aggregate: { op: 'latestBy', path: 'channel' } },
  { name: 'channelsUsed', source: everything, aggregate: { op: 'distinct', path: 'channel' } },
]

/** Derived from orderCount, lifetimeValue and lastOrderAt; see rfm.ts for its fixed bands. */
export const rfmTrait = 'rfm'

/** Custom traits sent with `identify` are stored as `traits.<key>`, latest value wins. */
export const customTraitPrefix = 'traits.'

export const reservedTraitNames = new Set([...builtInTraits.map((t) => t.name), rfmTrait])
