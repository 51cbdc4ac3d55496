import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import type { Tx } from '../db/index.js'
import { notFound } from '../errors.js'
import { newId } from '../ids.js'
import type { AccessTables, ApiKeyRow } from './db.js'
import type { Principal } from './principal.js'
import { channelKindScopes, publishableScopes, roleScopes, type ChannelKind, type StaffRole } from './scopes.js'

/**
 * What a key is for: a staff role, a touchpoint of a channel (a POS at one store), or a
 * channel's publishable key (safe to embed in a web page: it only sends events, see
 * `publishableScopes`).
 */
export type KeyOwner =
  | { kind: 'staff'; role: StaffRole; name: string; location?: string | null }
  | {
      kind: 'touchpoint' | 'publishable'
      name: string
      channel: { id: string; code: string; kind: ChannelKind }
      location?: string | null
    }

export type KeyView = {
  id: string
  prefix: string
  name: string
  kind: 'staff' | 'touchpoint' | 'publishable'
  role: string | null
  channel: string | null
  location: string | null
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex')

// omk_<8 id chars>_<43 secret chars>: the prefix identifies the row, only the hash is stored.
function splitKey(key: string): { prefix: string } | null {
  const match = /^(omk_[a-z0-9]{8})_[A-Za-z0-9_-]{43}$/.exec(key)
  return match ? { prefix: match[1]! } : null
}

export function toKeyView(row: ApiKeyRow): KeyView {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    kind: row.kind,
    role: row.role,
    channel: row.channel_code,
    location: row.location,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  }
}

/**
 * Makes a random key and stores only its SHA-256 (the secret has 256 bits of entropy, so a
 * slow password hash adds nothing). The plain key is in the answer once and never again.
 */
export async function createKey(
  tx: Tx<AccessTables>,
  clock: Clock,
  owner: KeyOwner,
  expiresAt: Date | null = null,
  plain?: string,
): Promise<KeyView & { apiKey: string }> {
  const prefix = `omk_${randomBytes(5).toString('hex').slice(0, 8)}`
  const apiKey = plain ?? `${prefix}_${randomBytes(32).toString('base64url')}`
  const parts = splitKey(apiKey)
  if (!parts) throw new RangeError('API keys look like omk_xxxxxxxx_<43 characters>')
  const row = await tx
    .insertInto('access.api_key')
    .values({
      id: newId('key'),
      prefix: parts.prefix,
      secret_hash: hashOf(apiKey),
      name: owner.name,
      kind: owner.kind,
      role: owner.kind === 'staff' ? owner.role : null,
      channel_id: owner.kind === 'staff' ? null : owner.channel.id,
      channel_code: owner.kind === 'staff' ? null : owner.channel.code,
      channel_kind: owner.kind === 'staff' ? null : owner.channel.kind,
      location: owner.location ?? null,
      created_at: clock.now(),
      expires_at: expiresAt,
      revoked_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...toKeyView(row), apiKey }
}

export function principalOf(row: ApiKeyRow): Principal {
  if (row.kind === 'staff') {
    const role = row.role as StaffRole
    return { kind: 'staff', keyId: row.id, name: row.name, role, location: row.location, scopes: new Set(roleScopes[role]) }
  }
  const kind = row.channel_kind as ChannelKind
  // A publishable key speaks for its channel (events carry the channel code) with fewer rights.
  return {
    kind: 'touchpoint',
    keyId: row.id,
    name: row.name,
    channel: { id: row.channel_id!, code: row.channel_code!, kind },
    location: row.location,
    scopes: new Set(row.kind === 'publishable' ? publishableScopes : channelKindScopes[kind]),
  }
}

/** The principal a presented key stands for, or null when it is unknown, expired or revoked. */
export async function authenticate(
  db: Kysely<AccessTables>,
  clock: Clock,
  key: string,
): Promise<Principal | null> {
  const parts = splitKey(key)
  if (!parts) return null
  const row = await db
    .selectFrom('access.api_key')
    .selectAll()
    .where('prefix', '=', parts.prefix)
    .executeTakeFirst()
  if (!row || row.revoked_at) return null
  if (row.expires_at && row.expires_at <= clock.now()) return null
  const expected = Buffer.from(row.secret_hash, 'hex')
  if (!timingSafeEqual(expected, Buffer.from(hashOf(key), 'hex'))) return null
  return principalOf(row)
}

export async function listKeys(tx: Tx<AccessTables>): Promise<KeyView[]> {
  const rows = await tx.selectFrom('access.api_key').selectAll().orderBy('id', 'desc').execute()
  return rows.map(toKeyView)
}

export async function findKey(tx: Tx<AccessTables>, idOrPrefix: string): Promise<ApiKeyRow> {
  const row = await tx
    .selectFrom('access.api_key')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix)]))
    .executeTakeFirst()
  if (!row) throw notFound('key', idOrPrefix)
  return row
}

/** Revokes a key (by id or prefix); revoking twice keeps the first time. */
export async function revokeKey(tx: Tx<AccessTables>, clock: Clock, idOrPrefix: string) {
  const before = await findKey(tx, idOrPrefix)
  const after = await tx
    .updateTable('access.api_key')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(clock.now())) }))
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before: toKeyView(before), after: toKeyView(after) }
}

/** Sets (or clears) a key's expiry. */
export async function expireKey(tx: Tx<AccessTables>, idOrPrefix: string, expiresAt: Date | null) {
  const before = await findKey(tx, idOrPrefix)
  const after = await tx
    .updateTable('access.api_key')
    .set({ expires_at: expiresAt })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before: toKeyView(before), after: toKeyView(after) }
}

/**
 * Makes sure the operator's OMNIA_ADMIN_KEY works: an admin key with exactly that secret exists
 * and is not revoked. Idempotent, so every start-up may call it.
 */
export async function ensureAdminKey(tx: Tx<AccessTables>, clock: Clock, plain: string) {
  const parts = splitKey(plain)
  if (!parts) throw new RangeError('OMNIA_ADMIN_KEY must look like omk_xxxxxxxx_<43 characters of base64url>')
  // Several processes starting at once on one server would all find no key and all insert it.
  await sql`select pg_advisory_xact_lock(hashtext('omnia.ensure-admin-key'))`.execute(tx)
  const existing = await tx
    .selectFrom('access.api_key')
    .select(['id', 'secret_hash'])
    .where('prefix', '=', parts.prefix)
    .executeTakeFirst()
  if (existing?.secret_hash === hashOf(plain)) {
    await tx
      .updateTable('access.api_key')
      .set({ revoked_at: null, expires_at: null })
      .where('id', '=', existing.id)
      .execute()
    return
  }
  if (existing) await tx.deleteFrom('access.api_key').where('id', '=', existing.id).execute()
  await createKey(tx, clock, { kind: 'staff', role: 'admin', name: 'OMNIA_ADMIN_KEY' }, null, plain)
}
