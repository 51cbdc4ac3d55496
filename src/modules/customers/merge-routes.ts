import { actorOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { DomainError, validationFailed } from '../../kernel/errors.js'
import { PageQuery, pageOf, sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { mergeProfiles, unmergeProfiles } from './merge.js'
import { listRefusals } from './merge-resolve.js'
import { CustomerParams, MergeBody, MergedCustomersView, MergeRefusalView, UnmergeBody, UnmergedCustomersView } from './schema.js'
import { getCustomer } from './service.js'

const tags = ['customers']

/** Staff merge and unmerge customers by hand, and review the merges identity resolution refused. */
export const mergeRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.get(
    '/v1/customers/merge-refusals',
    { schema: { tags, querystring: PageQuery, response: { 200: pageOf(MergeRefusalView) } }, config: { scope: 'customers:merge' } },
    async (req) => inTransaction(db, (tx) => listRefusals(tx, req.query)),
  )
  app.post(
    '/v1/customers/:id/merge',
    {
      schema: { tags, params: CustomerParams, body: MergeBody, response: { 200: MergedCustomersView } },
      config: { scope: 'customers:merge' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        if (req.body.otherId === req.params.id) throw validationFailed([{ path: 'otherId', message: 'must be another customer' }])
        const [one, other] = [await getCustomer(tx, req.params.id), await getCustomer(tx, req.body.otherId)]
        const result = await mergeProfiles(tx, clock, { survivor: one.id, loser: other.id, reason: 'manual', actor: actorOf(req.principal) })
        if (result.outcome === 'refused') {
          throw new DomainError('unprocessable', 'Both customers have a user account (user_id); one person has one account', {
            reason: result.reason,
            profileIds: result.profileIds,
          })
        }
        const survivor = await getCustomer(tx, result.survivorId)
        const loserId = result.outcome === 'merged' ? result.loserId : null
        if (loserId) {
          const before = { customers: [one, other] }
          await recordAudit(crossModule(tx), clock, req.principal, { action: 'customer.merged', resource: 'customer', resourceId: survivor.id, before, after: survivor }, req.id)
        }
        return { survivor, loserId }
      }),
  )
  app.post(
    '/v1/customers/:id/unmerge',
    {
      schema: { tags, params: CustomerParams, body: UnmergeBody, response: { 200: UnmergedCustomersView } },
      config: { scope: 'customers:merge' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const before = await getCustomer(tx, req.params.id)
        const result = await unmergeProfiles(tx, clock, { survivor: req.params.id, loser: req.body.loserId, actor: actorOf(req.principal) })
        const [survivor, restored] = [await getCustomer(tx, result.survivorId), await getCustomer(tx, result.loserId)]
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'customer.unmerged', resource: 'customer', resourceId: survivor.id, before, after: { survivor, restored } }, req.id)
        return { survivor, restored }
      }),
  )
}
