import { z } from 'zod'
import { createKey, expireKey, listKeys, recordAudit, revokeKey, type AccessTables, type KeyOwner } from '../../kernel/auth/index.js'
import { crossModule, inTransaction, type Tx } from '../../kernel/db/index.js'
import { decodeCursor, pageOf, sendWrite, toPage, type ModuleRoutes } from '../../kernel/http/index.js'
import { findChannel } from '../channels/index.js'
import { AuditEntryView, AuditQuery, CreatedKeyView, CreateKeyBody, KeyParams, KeyView, UpdateKeyBody } from './schema.js'

async function auditPage(tx: Tx<AccessTables>, query: z.infer<typeof AuditQuery>) {
  let q = tx.selectFrom('access.audit_log').selectAll().orderBy('id', 'desc').limit(query.limit + 1)
  if (query.resource) q = q.where('resource', '=', query.resource)
  if (query.resourceId) q = q.where('resource_id', '=', query.resourceId)
  if (query.cursor) q = q.where('id', '<', Number(decodeCursor(query.cursor, 1)[0]))
  const rows = await q.execute()
  return toPage(rows, query.limit, (r) => [r.id], (r) => ({
    id: r.id,
    at: r.at.toISOString(),
    keyId: r.key_id,
    actor: r.actor,
    action: r.action,
    resource: r.resource,
    resourceId: r.resource_id,
    before: r.before,
    after: r.after,
    requestId: r.request_id,
  }))
}

/** Who a new key is for; a publishable key speaks for an existing channel. */
async function ownerOf(tx: Tx<any>, body: CreateKeyBody): Promise<KeyOwner> {
  if (body.kind === 'staff') return { kind: 'staff', role: body.role!, name: body.name!, location: body.location ?? null }
  const channel = await findChannel(crossModule(tx), body.channel!)
  return {
    kind: 'publishable',
    name: body.name ?? `${channel.name} (publishable)`,
    channel: { id: channel.id, code: channel.code, kind: channel.kind },
    location: channel.location,
  }
}

/** Staff keys, channels' publishable keys and the audit trail. Touchpoint keys are made with their channel. */
export const accessRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.post(
    '/v1/keys',
    { schema: { tags: ['access'], body: CreateKeyBody, response: { 201: CreatedKeyView } }, config: { scope: 'keys:manage' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const key = await createKey(tx, clock, await ownerOf(tx, req.body), req.body.expiresAt ? new Date(req.body.expiresAt) : null)
        const { apiKey: _secret, ...visible } = key
        await recordAudit(tx, clock, req.principal, { action: 'key.created', resource: 'key', resourceId: key.id, after: visible }, req.id)
        return key
      }),
  )
  app.get(
    '/v1/keys',
    { schema: { tags: ['access'], response: { 200: z.object({ data: z.array(KeyView), nextCursor: z.null() }) } }, config: { scope: 'keys:manage' } },
    async () => ({ data: await inTransaction(db, (tx) => listKeys(tx)), nextCursor: null }),
  )
  app.post(
    '/v1/keys/:id/revoke',
    { schema: { tags: ['access'], params: KeyParams, response: { 200: KeyView } }, config: { scope: 'keys:manage' } },
    async (req, reply) => {
      await sendWrite(req, reply, deps, 200, async (tx) => {
        const { before, after } = await revokeKey(tx, clock, req.params.id)
        await recordAudit(tx, clock, req.principal, { action: 'key.revoked', resource: 'key', resourceId: after.id, before, after }, req.id)
        return after
      })
      app.forgetPrincipals()
      return reply
    },
  )
  app.patch(
    '/v1/keys/:id',
    { schema: { tags: ['access'], params: KeyParams, body: UpdateKeyBody, response: { 200: KeyView } }, config: { scope: 'keys:manage' } },
    async (req, reply) => {
      await sendWrite(req, reply, deps, 200, async (tx) => {
        const at = req.body.expiresAt ? new Date(req.body.expiresAt) : null
        const { before, after } = await expireKey(tx, req.params.id, at)
        await recordAudit(tx, clock, req.principal, { action: 'key.expiry_set', resource: 'key', resourceId: after.id, before, after }, req.id)
        return after
      })
      app.forgetPrincipals()
      return reply
    },
  )
  app.get(
    '/v1/audit',
    { schema: { tags: ['access'], querystring: AuditQuery, response: { 200: pageOf(AuditEntryView) } }, config: { scope: 'audit:read' } },
    async (req) => inTransaction(db, (tx) => auditPage(tx, req.query)),
  )
}
