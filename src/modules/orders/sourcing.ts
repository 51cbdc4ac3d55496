import { ConfigCache } from '../../kernel/config-cache.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, validationFailed } from '../../kernel/errors.js'
import { shipmentOrigins } from '../channels/index.js'
import {
  distanceKm,
  eligibleCandidates,
  type Candidate,
  type Geo,
  type SourcingInput,
  type SourcingPolicy,
} from '../inventory/index.js'
import { listLocations, type LocationView } from '../locations/index.js'
import type { FulfillmentMethod, OrdersTables } from './db.js'

type OrdersTx = Tx<OrdersTables>

export type SourcingRequest = Omit<SourcingInput, 'lines' | 'available'>

/** How an order leaves, and who places it, as sourcing needs it. */
export type SourcingAsk = {
  method: FulfillmentMethod
  location: string | null
  address: { geo?: Geo | undefined } | null
  channel: string | null
  /** The store the order is placed at (a POS or a clerk there). */
  store: string | null
  /** Where a problem with the store or the destination is reported. */
  pathOf: (field: 'location' | 'address') => string
}

const locations = new ConfigCache<readonly LocationView[]>()

/** Every location with its coordinates and capabilities (cached: placement reads it each time). */
export function allLocations(tx: OrdersTx) {
  return locations.get(() => listLocations(crossModule(tx)))
}

function courierOutOfRange(radiusKm: number, candidates: readonly Candidate[]) {
  const nearest = candidates.find((c) => c.distanceKm !== null) ?? null
  return new DomainError(
    'courier-out-of-range',
    `No location that may ship is within ${radiusKm} km of the destination` +
      (nearest ? `; the nearest is ${nearest.location} at ${nearest.distanceKm} km` : ''),
    {
      radiusKm,
      nearest: nearest && { location: nearest.location, distanceKm: nearest.distanceKm },
    },
  )
}

/**
 * The facts sourcing decides from, besides stock. A collection needs a store with the pickup
 * capability (`validation-failed` at its path). A shipment may come from the caller's selling
 * locations that can ship — and, when it is placed at a store (endless aisle), from every
 * location that can ship. Distances are from the address's coordinates, else from the placing
 * store, else unknown (the plan then ranks by stock and says so). A courier order needs a
 * destination (`validation-failed` at `…address.geo`) and some candidate within the policy's
 * radius (`courier-out-of-range`).
 */
export async function sourcingRequest(
  tx: OrdersTx,
  ask: SourcingAsk,
  policy: SourcingPolicy,
): Promise<SourcingRequest> {
  const all = await allLocations(tx)
  const byCode = new Map(all.map((l) => [l.code, l]))
  if (ask.method === 'pickup' || ask.method === 'curbside') {
    const store = byCode.get(ask.location!)
    if (!store)
      throw validationFailed([
        { path: ask.pathOf('location'), message: `no location ${ask.location}` },
      ])
    if (!store.capabilities.pickup)
      throw validationFailed([
        { path: ask.pathOf('location'), message: `${store.code} does not offer pickup` },
      ])
    return { method: ask.method, pickupAt: store.code, candidates: [], ownStore: ask.store, policy }
  }
  const destination =
    ask.address?.geo ?? (ask.store ? byCode.get(ask.store)?.geo : undefined) ?? null
  if (ask.method === 'courier' && !destination)
    throw validationFailed([
      {
        path: `${ask.pathOf('address')}.geo`,
        message: "courier delivery needs the destination's coordinates",
      },
    ])
  const origins = await shipmentOrigins(crossModule(tx), ask.channel, ask.store)
  const candidates = origins.flatMap((code) => {
    const l = byCode.get(code)
    if (!l?.capabilities.shipFrom) return []
    return [{ location: code, distanceKm: destination ? distanceKm(destination, l.geo) : null }]
  })
  const request = { method: ask.method, pickupAt: null, candidates, ownStore: ask.store, policy }
  if (
    ask.method === 'courier' &&
    eligibleCandidates('courier', candidates, ask.store, policy).length === 0
  )
    throw courierOutOfRange(
      policy.courierRadiusKm,
      eligibleCandidates('ship', candidates, ask.store, policy),
    )
  return request
}
