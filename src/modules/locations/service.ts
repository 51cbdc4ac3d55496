import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import { alreadyExists, notFound, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { LocationRow, LocationsTables } from './db.js'
import type { CreateLocationBody, LocationView, UpdateLocationBody } from './schema.js'

export function toView(row: LocationRow): LocationView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    address: row.address,
    geo: { lat: row.lat, lng: row.lng },
    capabilities: { shipFrom: row.ship_from, pickup: row.pickup, acceptReturns: row.accept_returns },
    openingHours: row.opening_hours,
    timeZone: row.time_zone,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Creates a location; a taken code is `already-exists`. */
export async function createLocation(tx: Tx<LocationsTables>, clock: Clock, input: CreateLocationBody) {
  const now = clock.now()
  const row = await tx
    .insertInto('locations.location')
    .values({
      id: newId('loc'),
      code: input.code,
      name: input.name,
      kind: input.kind,
      address: JSON.stringify(input.address),
      lat: input.geo.lat,
      lng: input.geo.lng,
      ship_from: input.capabilities.shipFrom,
      pickup: input.capabilities.pickup,
      accept_returns: input.capabilities.acceptReturns,
      opening_hours: input.openingHours ? JSON.stringify(input.openingHours) : null,
      time_zone: input.timeZone,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!row) throw alreadyExists('location', 'code', input.code)
  return toView(row)
}

export async function listLocations(
  tx: Tx<LocationsTables>,
  filter: { kind?: LocationRow['kind'] | undefined; capability?: 'shipFrom' | 'pickup' | 'acceptReturns' | undefined } = {},
): Promise<LocationView[]> {
  const column = { shipFrom: 'ship_from', pickup: 'pickup', acceptReturns: 'accept_returns' } as const
  let query = tx.selectFrom('locations.location').selectAll().orderBy('code')
  if (filter.kind) query = query.where('kind', '=', filter.kind)
  if (filter.capability) query = query.where(column[filter.capability], '=', true)
  return (await query.execute()).map(toView)
}

/** A location by code or id; `not-found` otherwise. */
export async function getLocation(tx: Tx<LocationsTables>, codeOrId: string): Promise<LocationView> {
  const row = await tx
    .selectFrom('locations.location')
    .selectAll()
    .where((eb) => eb.or([eb('code', '=', codeOrId), eb('id', '=', codeOrId)]))
    .executeTakeFirst()
  if (!row) throw notFound('location', codeOrId)
  return toView(row)
}

/**
 * Checks that every code names a location, for modules that accept location codes. Throws
 * `validation-failed` naming each unknown code at its field path.
 */
export async function assertLocationsExist(
  tx: Tx<LocationsTables>,
  refs: readonly { code: string; path: string }[],
): Promise<void> {
  if (refs.length === 0) return
  const codes = [...new Set(refs.map((r) => r.code))]
  const found = await tx.selectFrom('locations.location').select('code').where('code', 'in', codes).execute()
  const known = new Set(found.map((r) => r.code))
  const missing = refs.filter((r) => !known.has(r.code))
  if (missing.length > 0) {
    throw validationFailed(missing.map((r) => ({ path: r.path, message: `no location ${r.code}` })))
  }
}

/** Updates the given fields; answers the location before and after for the audit trail. */
export async function updateLocation(
  tx: Tx<LocationsTables>,
  clock: Clock,
  code: string,
  patch: UpdateLocationBody,
) {
  const before = await getLocation(tx, code)
  const caps = { ...before.capabilities, ...patch.capabilities }
  const row = await tx
    .updateTable('locations.location')
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.address !== undefined && { address: JSON.stringify(patch.address) }),
      ...(patch.geo !== undefined && { lat: patch.geo.lat, lng: patch.geo.lng }),
      ...(patch.openingHours !== undefined && {
        opening_hours: patch.openingHours ? JSON.stringify(patch.openingHours) : null,
      }),
      ...(patch.timeZone !== undefined && { time_zone: patch.timeZone }),
      ship_from: caps.shipFrom,
      pickup: caps.pickup,
      accept_returns: caps.acceptReturns,
      updated_at: clock.now(),
    })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before, after: toView(row) }
}
