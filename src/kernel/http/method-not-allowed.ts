import FindMyWay from 'find-my-way'
import type { FastifyInstance } from 'fastify'
import { DomainError } from '../errors.js'
import { sendProblem } from './problem-handler.js'

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/**
 * Fastify answers 404 for a known path with an unknown method; HTTP says 405 with `Allow`.
 * A shadow router of every registered route tells the two apart.
 */
export function installNotFoundHandler(app: FastifyInstance) {
  const shadow = FindMyWay()
  app.addHook('onRoute', (route) => {
    const list = Array.isArray(route.method) ? route.method : [route.method]
    for (const m of list) {
      if (m === 'HEAD' || (methods as readonly string[]).includes(m)) {
        try {
          shadow.on(m as 'GET', route.url, () => undefined)
        } catch {
          // Already known (HEAD is added beside GET).
        }
      }
    }
  })
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/'
    const allow = methods.filter((m) => m !== req.method && shadow.find(m, path))
    if (allow.length > 0) {
      return sendProblem(
        reply,
        new DomainError('method-not-allowed', `${req.method} is not allowed on ${path}`, { allow }),
        req,
      )
    }
    return sendProblem(reply, new DomainError('not-found', `Nothing at ${req.method} ${path}`), req)
  })
}
