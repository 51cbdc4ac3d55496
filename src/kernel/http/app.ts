import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type FastifyPluginAsyncZod,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Clock } from '../clock.js'
import type { EngineKind } from '../db/index.js'
import { installAuth } from './auth-hook.js'
import { installNotFoundHandler } from './method-not-allowed.js'
import { installProblemHandler } from './problem-handler.js'
import { Problem } from './problem-schema.js'

/** What every module's routes receive from `main`. */
export type AppDeps = {
  db: Kysely<any>
  clock: Clock
  /** Which engine `db` runs on: a few mechanisms tune themselves to it (never business rules). */
  engine: EngineKind
}

/** A module's HTTP surface: a zod-typed Fastify plugin whose options are its dependencies. */
export type ModuleRoutes = FastifyPluginAsyncZod<AppDeps>

export type HttpOptions = {
  logger: Logger
  bodyLimit?: number
  deps: AppDeps
  modules: readonly ModuleRoutes[]
  /** Answers /ready: the database answers and no migration is pending. */
  readiness: () => Promise<{ ready: boolean; detail: string }>
  version: string
}

/**
 * Builds (does not start) the HTTP app: validation and serialization by zod, problem+json for
 * every error, API-key auth with per-route scopes, OpenAPI 3.1 at /openapi.json and /docs.
 */
export async function buildHttp(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: () => crypto.randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  installProblemHandler(app)
  installNotFoundHandler(app)
  installAuth(app, options.deps.db, options.deps.clock)
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/') || !route.schema) return
    route.schema.response = { ...(route.schema.response as object), '4XX': Problem }
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Omnia API',
        version: options.version,
        description:
          'One stock, one price, one order book and one customer across every channel. ' +
          'Authenticate with `Authorization: Bearer <key>`. Errors are RFC 9457 problem+json.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  app.get(
    '/health',
    { schema: { response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/ready',
    { schema: { response: { 200: z.object({ status: z.string(), detail: z.string() }), 503: z.any() } } },
    async (_req, reply) => {
      const { ready, detail } = await options.readiness()
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', detail })
    },
  )
  for (const routes of options.modules) await app.register(routes, options.deps)
  return app
}
