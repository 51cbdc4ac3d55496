import { z } from 'zod'
import { actorOf, recordAudit } from '../../kernel/auth/index.js'
import { crossModule } from '../../kernel/db/index.js'
import { sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { resourceMissing } from './resourcing.js'
import { MissingBody, OrderView } from './schema.js'

/**
 * `POST /v1/fulfillments/{id}/missing`: a store's report that it cannot find some units. It
 * lives with orders because it rewrites the order (lines and timeline) as well as stock and
 * fulfilments, and orders is the module that may call both of the others.
 */
export const resourcingRoutes: ModuleRoutes = async (app, deps) => {
  const { clock } = deps
  app.post(
    '/v1/fulfillments/:id/missing',
    {
      schema: {
        tags: ['fulfillment'],
        description:
          'Units the store cannot find: written off there, re-sourced by the sourcing policy to another location (for a collection, sent to its store by transfer). Answers the order.',
        params: z.object({ id: z.string().min(1).max(64) }),
        body: MissingBody,
        response: { 200: OrderView },
      },
      config: { scope: 'fulfillment:write' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const { before, after } = await resourceMissing(tx, clock, req.params.id, req.body, {
          actor: actorOf(req.principal),
          store: req.principal.location,
        })
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'fulfillment.resourced',
            resource: 'order',
            resourceId: after.id,
            before,
            after,
          },
          req.id,
        )
        return after
      }),
  )
}
