import { actorOf, channelOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { validationFailed } from '../../kernel/errors.js'
import { sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import {
  AddIdentitiesBody,
  CreateCustomerBody,
  CustomerList,
  CustomerParams,
  CustomerQuery,
  CustomerView,
  IdentityKind,
  ResolvedCustomerView,
  UpdateCustomerBody,
} from './schema.js'
import { consentRoutes } from './consent-routes.js'
import { CustomerProfileView, type ProfileExtras } from './profile-extras.js'
import { resolveAndMerge } from './merge-resolve.js'
import { mergeRoutes } from './merge-routes.js'
import { addIdentities, findByIdentity, getCustomer, renameCustomer } from './service.js'

const tags = ['customers']

/** `phone:+30…` → kind and value; the value may itself contain colons (`user_id:auth0:42`). */
function parseIdentity(raw: string) {
  const at = raw.indexOf(':')
  const kind = IdentityKind.safeParse(raw.slice(0, Math.max(at, 0)))
  if (at < 1 || !kind.success) {
    throw validationFailed([{ path: 'query.identity', message: `must be kind:value with kind one of ${IdentityKind.options.join(', ')}` }])
  }
  return { kind: kind.data, value: raw.slice(at + 1) }
}

/** The customers HTTP surface; `extras` fills traits and segments in `GET /v1/customers/{id}`. */
export const customerRoutes = (extras?: ProfileExtras): ModuleRoutes => async (app, deps) => {
  const { db, clock } = deps
  app.post(
    '/v1/customers',
    {
      schema: { tags, body: CreateCustomerBody, response: { 200: ResolvedCustomerView, 201: ResolvedCustomerView } },
      config: { scope: 'customers:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, (r: { created: boolean }) => (r.created ? 201 : 200), async (tx) => {
        const channel = channelOf(req.principal)
        const result = await resolveAndMerge(tx, clock, { ...req.body, channel }, actorOf(req.principal))
        if (result.created || result.added.length > 0 || result.merged.length > 0) {
          const action = result.created ? 'customer.created' : 'customer.identities_added'
          await recordAudit(crossModule(tx), clock, req.principal, { action, resource: 'customer', resourceId: result.customer.id, after: { added: result.added, merged: result.merged } }, req.id)
        }
        return { ...result.customer, created: result.created, conflicts: result.conflicts, merged: result.merged }
      }),
  )
  app.get(
    '/v1/customers',
    { schema: { tags, querystring: CustomerQuery, response: { 200: CustomerList } }, config: { scope: 'customers:read' } },
    async (req) => {
      const { kind, value } = parseIdentity(req.query.identity)
      const found = await inTransaction(db, (tx) => findByIdentity(tx, kind, value, { region: req.query.region, path: 'query.identity' }))
      return { data: found ? [found] : [], nextCursor: null }
    },
  )
  app.get(
    '/v1/customers/:id',
    { schema: { tags, params: CustomerParams, response: { 200: CustomerProfileView } }, config: { scope: 'customers:read' } },
    async (req) =>
      inTransaction(db, async (tx) => {
        const customer = await getCustomer(tx, req.params.id)
        return extras ? { ...customer, ...(await extras(crossModule(tx), customer.id)) } : customer
      }),
  )
  app.post(
    '/v1/customers/:id/identities',
    { schema: { tags, params: CustomerParams, body: AddIdentitiesBody, response: { 200: CustomerView } }, config: { scope: 'customers:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const result = await addIdentities(tx, clock, req.params.id, req.body.identities, { channel: channelOf(req.principal) })
        if (result.added.length > 0) {
          await recordAudit(crossModule(tx), clock, req.principal, { action: 'customer.identities_added', resource: 'customer', resourceId: result.customer.id, after: { added: result.added } }, req.id)
        }
        return result.customer
      }),
  )
  app.patch(
    '/v1/customers/:id',
    { schema: { tags, params: CustomerParams, body: UpdateCustomerBody, response: { 200: CustomerView } }, config: { scope: 'customers:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const { before, after } = await renameCustomer(tx, clock, req.params.id, req.body.name)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'customer.updated', resource: 'customer', resourceId: after.id, before: { name: before.name }, after: { name: after.name } }, req.id)
        return after
      }),
  )
  await app.register(consentRoutes, deps)
  await app.register(mergeRoutes, deps)
}
