import type { Clock } from '../clock.js'
import type { Tx } from '../db/index.js'
import type { AccessTables } from './db.js'
import { actorOf, type Principal } from './principal.js'

export type AuditEntry = {
  action: string
  resource: string
  resourceId: string
  before?: unknown
  after?: unknown
}

/**
 * Records a staff write in the same transaction as the write itself, so the trail can never
 * miss a change that happened nor list one that did not. Touchpoint writes (a web checkout) are
 * business events, traced by the outbox instead.
 */
export async function recordAudit(
  tx: Tx<AccessTables>,
  clock: Clock,
  principal: Principal,
  entry: AuditEntry,
  requestId?: string,
): Promise<void> {
  if (principal.kind !== 'staff') return
  await tx
    .insertInto('access.audit_log')
    .values({
      at: clock.now(),
      key_id: principal.keyId,
      actor: actorOf(principal),
      action: entry.action,
      resource: entry.resource,
      resource_id: entry.resourceId,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
      request_id: requestId ?? null,
    })
    .execute()
}
