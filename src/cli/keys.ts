import type { Config } from '../config.js'
import {
  createKey,
  listKeys,
  recordAudit,
  revokeKey,
  staffRoles,
  type KeyView,
  type StaffRole,
} from '../kernel/auth/index.js'
import { systemClock } from '../kernel/clock.js'
import { crossModule, inTransaction } from '../kernel/db/index.js'
import { findChannel, issueTouchpointKey } from '../modules/channels/index.js'
import { assertLocationsExist } from '../modules/locations/index.js'
import { parseCommand, UsageError } from './args.js'
import { withDatabase } from './database.js'
import { operator } from './operator.js'

export const keysUsage = `Usage:
  omnia keys create --role ROLE [--name NAME] [--location CODE] [--expires-at ISO] [--json]
  omnia keys create --channel CODE [--publishable] [--json]
  omnia keys list [--json]
  omnia keys revoke <id|prefix> [--json]

create   makes a staff key with a role, optionally tied to a store (--location), or a
         further key for an existing channel's touchpoint (--channel). With --publishable
         the channel's key may only send events and read the catalog and prices: safe to
         embed in a web page or a kiosk. The key is printed once and never again: only its
         hash is stored.
         Roles: ${staffRoles.join(', ')}.
list     shows every key (prefix, kind, role or channel, location, status); never a secret.
revoke   stops a key (a running server notices within a few seconds).

--json prints the result as JSON on stdout.`

const createUsage = `${keysUsage.split('\n').slice(0, 3).join('\n')}\n\nRoles: ${staffRoles.join(', ')}.`

function statusOf(key: KeyView): string {
  if (key.revokedAt) return `revoked ${key.revokedAt}`
  if (key.expiresAt) return `expires ${key.expiresAt}`
  return 'active'
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

async function create(config: Config, args: string[]) {
  const parsed = parseCommand(args, createUsage, {
    role: { type: 'string' },
    name: { type: 'string' },
    location: { type: 'string' },
    channel: { type: 'string' },
    publishable: { type: 'boolean' },
    'expires-at': { type: 'string' },
    json: { type: 'boolean' },
  })
  if (!parsed) return
  const { role, name, location, channel, publishable, json } = parsed.values
  const expiresRaw = parsed.values['expires-at']
  if (!role === !channel) throw new UsageError('give either --role or --channel', createUsage)
  if (publishable && !channel) throw new UsageError('--publishable goes with --channel', createUsage)
  if (channel && (location || expiresRaw))
    throw new UsageError('--location and --expires-at go with --role, not --channel', createUsage)
  if (role && !(staffRoles as readonly string[]).includes(role)) {
    throw new UsageError(`--role must be one of ${staffRoles.join(', ')}, not ${role}`, createUsage)
  }
  const expiresAt = expiresRaw ? new Date(expiresRaw) : null
  if (expiresAt && Number.isNaN(expiresAt.getTime()))
    throw new UsageError(`--expires-at is not a date: ${expiresRaw}`, createUsage)
  if (name !== undefined && (name.trim() === '' || name.length > 200))
    throw new UsageError('--name must be 1–200 characters', createUsage)

  const clock = systemClock
  const key = await withDatabase(config, ({ db }) =>
    inTransaction(db, async (tx) => {
      let created
      if (channel && publishable) {
        const row = await findChannel(crossModule(tx), channel)
        created = await createKey(tx, clock, {
          kind: 'publishable',
          name: name ?? `${row.name} (publishable)`,
          channel: { id: row.id, code: row.code, kind: row.kind },
          location: row.location,
        })
      } else if (channel) {
        created = await issueTouchpointKey(
          crossModule(tx),
          clock,
          await findChannel(crossModule(tx), channel),
        )
      } else {
        if (location)
          await assertLocationsExist(crossModule(tx), [{ code: location, path: 'location' }])
        const owner = {
          kind: 'staff' as const,
          role: role as StaffRole,
          name: name ?? `${role} (cli)`,
          location: location ?? null,
        }
        created = await createKey(tx, clock, owner, expiresAt)
      }
      const { apiKey: _secret, ...visible } = created
      await recordAudit(tx, clock, operator(), {
        action: 'key.created',
        resource: 'key',
        resourceId: created.id,
        after: visible,
      })
      return created
    }),
  )
  if (json) {
    process.stdout.write(`${JSON.stringify(key, null, 2)}\n`)
    return
  }
  const owner =
    key.kind === 'staff'
      ? `role ${key.role}`
      : `channel ${key.channel}${key.kind === 'publishable' ? ' (publishable: events only)' : ''}`
  process.stdout.write(
    `Created key ${key.prefix} (${key.id}) for ${owner}${key.location ? ` at ${key.location}` : ''}.\n` +
      `Keep it now, it is not shown again:\n\n  ${key.apiKey}\n\n`,
  )
}

async function list(config: Config, args: string[]) {
  const parsed = parseCommand(args, 'Usage: omnia keys list [--json]', {
    json: { type: 'boolean' },
  })
  if (!parsed) return
  const keys = await withDatabase(config, ({ db }) => inTransaction(db, (tx) => listKeys(tx)))
  if (parsed.values.json) {
    process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`)
    return
  }
  if (keys.length === 0) {
    process.stdout.write(
      'No keys yet. Make one with: omnia keys create --role admin --name "Your name"\n',
    )
    return
  }
  const rows = keys.map((k) => [
    k.prefix,
    k.id,
    k.kind,
    k.role ?? k.channel ?? '',
    k.location ?? '',
    k.name,
    statusOf(k),
  ])
  process.stdout.write(
    `${table([['PREFIX', 'ID', 'KIND', 'ROLE/CHANNEL', 'LOCATION', 'NAME', 'STATUS'], ...rows])}\n`,
  )
}

async function revoke(config: Config, args: string[]) {
  const usage = 'Usage: omnia keys revoke <id|prefix> [--json]'
  const parsed = parseCommand(args, usage, { json: { type: 'boolean' } }, { min: 1, max: 1 })
  if (!parsed) return
  const clock = systemClock
  const after = await withDatabase(config, ({ db }) =>
    inTransaction(db, async (tx) => {
      const { before, after } = await revokeKey(tx, clock, parsed.positionals[0]!)
      await recordAudit(tx, clock, operator(), {
        action: 'key.revoked',
        resource: 'key',
        resourceId: after.id,
        before,
        after,
      })
      return after
    }),
  )
  if (parsed.values.json) process.stdout.write(`${JSON.stringify(after, null, 2)}\n`)
  else process.stdout.write(`Revoked key ${after.prefix} (${after.id}) at ${after.revokedAt}.\n`)
}

/** `omnia keys create | list | revoke`. */
export async function runKeys(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'create':
      return create(config, rest)
    case 'list':
      return list(config, rest)
    case 'revoke':
      return revoke(config, rest)
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${keysUsage}\n`)
      return
    default:
      throw new UsageError(sub ? `unknown keys command ${sub}` : 'missing keys command', keysUsage)
  }
}
