import type { FastifyInstance } from 'fastify'
import { messageTypes } from './schema.js'

const trackingPaths = new Set(['/v1/batch', ...messageTypes.map((t) => `/v1/${t}`)])

/**
 * Lets a storefront on another origin send events with its publishable key. Any origin may: the
 * key is public by design and no cookie is involved (the browser sends none cross-origin without
 * `credentials: 'include'`, which a wildcard origin refuses anyway). Only the tracking paths;
 * every other route stays same-origin for browsers.
 */
export function installCors(app: FastifyInstance) {
  app.addHook('onSend', async (req, reply) => {
    if (trackingPaths.has(req.routeOptions.url ?? '')) reply.header('access-control-allow-origin', '*')
  })
  for (const path of trackingPaths) {
    app.options(path, { schema: { hide: true }, config: { scope: 'events:write' } }, async (_req, reply) =>
      reply
        .code(204)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '86400')
        .send(),
    )
  }
}
