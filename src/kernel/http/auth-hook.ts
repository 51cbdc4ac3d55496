import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { authenticate } from '../auth/keys.js'
import type { AccessTables } from '../auth/db.js'
import type { Principal } from '../auth/principal.js'
import type { Scope } from '../auth/scopes.js'
import type { Clock } from '../clock.js'
import { DomainError } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a /v1 route requires; every /v1 route must name one. */
    scope?: Scope
  }
  interface FastifyRequest {
    principal: Principal
  }
}

/** Bearer for API clients; HTTP Basic with the key as user name for Segment-style SDKs. */
function presentedKey(req: FastifyRequest): string | null {
  const header = req.headers.authorization
  if (!header) return null
  const [scheme, value] = header.split(' ', 2)
  if (!value) return null
  if (scheme?.toLowerCase() === 'bearer') return value.trim()
  if (scheme?.toLowerCase() === 'basic') {
    return Buffer.from(value, 'base64').toString('utf8').split(':', 1)[0] ?? null
  }
  return null
}

const cacheMs = 5_000

/**
 * Authenticates every /v1 request and checks the route's scope. Principals are cached for a few
 * seconds, so a hot read path costs no query per request; a revocation made through this
 * process clears the cache at once, one made elsewhere takes effect within `cacheMs`.
 */
export function installAuth(app: FastifyInstance, db: Kysely<AccessTables>, clock: Clock) {
  const cache = new Map<string, { principal: Principal | null; until: number }>()
  app.decorateRequest('principal', null as never)
  app.decorate('forgetPrincipals', () => cache.clear())
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/') && !route.config?.scope) {
      throw new Error(`Route ${String(route.method)} ${route.url} must declare a scope`)
    }
  })
  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config?.scope
    // A CORS preflight carries no credentials by definition; the route it asks about will check.
    if (!scope || req.method === 'OPTIONS') return
    const key = presentedKey(req)
    if (!key) throw new DomainError('unauthenticated', 'Send an API key as Authorization: Bearer <key>')
    const now = clock.now().getTime()
    let hit = cache.get(key)
    if (!hit || hit.until < now) {
      hit = { principal: await authenticate(db, clock, key), until: now + cacheMs }
      if (cache.size > 10_000) cache.clear()
      cache.set(key, hit)
    }
    if (!hit.principal) throw new DomainError('unauthenticated', 'This API key is unknown, expired or revoked')
    if (!hit.principal.scopes.has(scope)) {
      throw new DomainError('forbidden', `This key lacks the scope ${scope}`, { requiredScope: scope })
    }
    req.principal = hit.principal
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    forgetPrincipals(): void
  }
}
