import { createKey, type AccessTables } from '../../kernel/auth/index.js'
import type { Clock } from '../../kernel/clock.js'
import { ConfigCache } from '../../kernel/config-cache.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { alreadyExists, notFound, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import { assertLocationsExist, listLocations } from '../locations/index.js'
import type { ChannelRow, ChannelsTables } from './db.js'
import type { ChannelView, CreateChannelBody, UpdateChannelBody } from './schema.js'

export function toView(row: ChannelRow): ChannelView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    location: row.location,
    sellsFrom: row.sells_from,
    createdAt: row.created_at.toISOString(),
  }
}

function locationRefs(input: { location?: string | undefined; sellsFrom?: string[] | null | undefined }) {
  return [
    ...(input.location ? [{ code: input.location, path: 'location' }] : []),
    ...(input.sellsFrom ?? []).map((code, i) => ({ code, path: `sellsFrom.${i}` })),
  ]
}

/**
 * Creates a channel and its first touchpoint key (returned once). A taken code is
 * `already-exists`; unknown location codes are `validation-failed` at their field path.
 */
export async function createChannel(tx: Tx<ChannelsTables>, clock: Clock, input: CreateChannelBody) {
  await assertLocationsExist(crossModule(tx), locationRefs(input))
  const now = clock.now()
  const row = await tx
    .insertInto('channels.channel')
    .values({
      id: newId('chn'),
      code: input.code,
      name: input.name,
      kind: input.kind,
      location: input.location ?? null,
      sells_from: input.sellsFrom ?? null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!row) throw alreadyExists('channel', 'code', input.code)
  const key = await issueTouchpointKey(crossModule(tx), clock, row)
  return { ...toView(row), apiKey: key.apiKey, keyPrefix: key.prefix }
}

/** A further key for a channel's touchpoint (a second till, a replacement after revoking). */
export async function issueTouchpointKey(tx: Tx<AccessTables>, clock: Clock, channel: ChannelRow) {
  return createKey(tx, clock, {
    kind: 'touchpoint',
    name: channel.name,
    channel: { id: channel.id, code: channel.code, kind: channel.kind },
    location: channel.location,
  })
}

export async function findChannel(tx: Tx<ChannelsTables>, code: string): Promise<ChannelRow> {
  const row = await tx
    .selectFrom('channels.channel')
    .selectAll()
    .where((eb) => eb.or([eb('code', '=', code), eb('id', '=', code)]))
    .executeTakeFirst()
  if (!row) throw notFound('channel', code)
  return row
}

export async function listChannels(tx: Tx<ChannelsTables>): Promise<ChannelView[]> {
  return (await tx.selectFrom('channels.channel').selectAll().orderBy('code').execute()).map(toView)
}

export async function updateChannel(tx: Tx<ChannelsTables>, clock: Clock, code: string, patch: UpdateChannelBody) {
  await assertLocationsExist(crossModule(tx), locationRefs(patch))
  const before = await findChannel(tx, code)
  const after = await tx
    .updateTable('channels.channel')
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.sellsFrom !== undefined && { sells_from: patch.sellsFrom }),
      updated_at: clock.now(),
    })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before: toView(before), after: toView(after) }
}

/** Where each channel sells stock from, and the ship-from locations (for staff callers). */
export type SellingMap = {
  readonly byChannel: ReadonlyMap<string, readonly string[]>
  readonly shipFrom: readonly string[]
}

const selling = new ConfigCache<SellingMap>()

/**
 * The location codes every channel sells stock from: its explicit list, else its own store for
 * a pos or kiosk, else every location that ships. Two queries, then cached (see ConfigCache):
 * reservations and stock answers read it on every request.
 */
export async function sellingMap(tx: Tx<ChannelsTables>): Promise<SellingMap> {
  return selling.get(async () => {
    const channels = await tx.selectFrom('channels.channel').selectAll().execute()
    const shipFrom = (await listLocations(crossModule(tx), { capability: 'shipFrom' })).map((l) => l.code)
    const byChannel = new Map<string, readonly string[]>(
      channels.map((c) => {
        if (c.sells_from) return [c.code, c.sells_from]
        if (c.location && (c.kind === 'pos' || c.kind === 'kiosk')) return [c.code, [c.location]]
        return [c.code, shipFrom]
      }),
    )
    return { byChannel, shipFrom }
  })
}

/** The location codes one channel sells from; a caller with no channel (staff) gets every ship-from location. */
export async function sellingLocations(
  tx: Tx<ChannelsTables>,
  channelCode: string | null,
): Promise<readonly string[]> {
  const map = await sellingMap(tx)
  return (channelCode ? map.byChannel.get(channelCode) : undefined) ?? map.shipFrom
}

/**
 * The location codes a shipment ordered through a channel may leave from: its selling locations
 * that ship, and, when it is ordered at a store (a clerk's or kiosk's key), every location that
 * ships (endless aisle: the shop sells what it does not hold).
 */
export async function shipmentOrigins(
  tx: Tx<ChannelsTables>,
  channelCode: string | null,
  store: string | null,
): Promise<readonly string[]> {
  const map = await sellingMap(tx)
  const ships = new Set(map.shipFrom)
  const sells = (channelCode ? map.byChannel.get(channelCode) : undefined) ?? map.shipFrom
  const selling = sells.filter((c) => ships.has(c))
  return store ? [...new Set([...selling, ...map.shipFrom])] : selling
}

/** Throws `validation-failed` naming every channel code that does not exist, at its path. */
export async function assertChannelsExist(
  tx: Tx<ChannelsTables>,
  refs: readonly { code: string; path: string }[],
): Promise<void> {
  if (refs.length === 0) return
  const codes = [...new Set(refs.map((r) => r.code))]
  const found = await tx.selectFrom('channels.channel').select('code').where('code', 'in', codes).execute()
  const known = new Set(found.map((r) => r.code))
  const missing = refs.filter((r) => !known.has(r.code))
  if (missing.length > 0) {
    throw validationFailed(missing.map((r) => ({ path: r.path, message: `no channel ${r.code}` })))
  }
}
