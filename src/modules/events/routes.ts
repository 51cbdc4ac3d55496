import type { FastifyRequest } from 'fastify'
import { channelOf } from '../../kernel/auth/index.js'
import { inTransaction } from '../../kernel/db/index.js'
import { pageOf, type ModuleRoutes } from '../../kernel/http/index.js'
import { DomainError, validationFailed } from '../../kernel/errors.js'
import { installCors } from './cors.js'
import { browserSdk } from './sdk-bundle.js'
import { ingestionQueue, toNewEvent, type NewEvent, type Sender } from './ingest.js'
import { listEvents } from './queries.js'
import {
  Accepted,
  BatchBody,
  EventQuery,
  EventView,
  maxBatchBytes,
  maxEventBytes,
  messageTypes,
  singleBodies,
  TimelineEntryView,
  TimelineParams,
  TimelineQuery,
} from './schema.js'
import { customerTimeline } from './timeline.js'
import { checkEvents, compiledPlan } from './tracking-plan.js'
import { trackingPlanRoutes } from './tracking-plan-routes.js'

function senderOf(req: FastifyRequest, receivedAt: Date): Sender {
  const channel = channelOf(req.principal)
  return { writer: channel ?? `key:${req.principal.keyId}`, channel, receivedAt }
}

/**
 * The Segment HTTP Tracking API (write key as Basic user name) and an inspection list. Bodies
 * over Segment's limits are refused before parsing by route-level body limits; a batch event
 * over 32 KB is `validation-failed` at `batch.<i>`. Answers `{success: true}` once stored. Track
 * events are checked against the tracking plan (tracking-plan-routes.ts); the tracking paths
 * accept other origins (cors.ts), for the browser tracker served at `/sdk/omnia.js`.
 */
export const eventRoutes: ModuleRoutes = async (app, { db, clock, engine }) => {
  const queue = ingestionQueue(db)
  // The tracking plan decides per event: reject refuses the whole call before anything is
  // stored (paths under `pathOf(i)`), record stores it with its violations.
  const ingest = async (events: NewEvent[], pathOf: (i: number) => string) => {
    const { violations, rejected } = checkEvents(await compiledPlan(db), events, pathOf)
    if (rejected.length > 0) throw validationFailed(rejected, 'The tracking plan rejects these events')
    await queue.submit({ events, violations })
  }
  await app.register(trackingPlanRoutes, { db, clock, engine })
  installCors(app)
  app.get('/sdk/omnia.js', { schema: { hide: true } }, async (_req, reply) => {
    const script = await browserSdk()
    if (script === null) throw new DomainError('not-found', 'The browser SDK is not part of this installation')
    return reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(script)
  })
  for (const type of messageTypes) {
    app.post(
      `/v1/${type}`,
      {
        bodyLimit: maxEventBytes,
        schema: { tags: ['events'], body: singleBodies[type], response: { 200: Accepted } },
        config: { scope: 'events:write' },
      },
      async (req) => {
        await ingest([toNewEvent(type, req.body, {}, senderOf(req, clock.now()))], () => '')
        return { success: true as const }
      },
    )
  }
  app.post(
    '/v1/batch',
    {
      bodyLimit: maxBatchBytes,
      schema: { tags: ['events'], body: BatchBody, response: { 200: Accepted } },
      config: { scope: 'events:write' },
    },
    async (req) => {
      const sender = senderOf(req, clock.now())
      await ingest(req.body.batch.map((m) => toNewEvent(m.type, m, req.body, sender)), (i) => `batch.${i}`)
      return { success: true as const }
    },
  )
  app.get(
    '/v1/events',
    { schema: { tags: ['events'], querystring: EventQuery, response: { 200: pageOf(EventView) } }, config: { scope: 'events:read' } },
    async (req) => inTransaction(db, (tx) => listEvents(tx, req.query)),
  )
  app.get(
    '/v1/customers/:id/timeline',
    {
      schema: {
        tags: ['events'],
        description:
          "Everything a customer did and everything Omnia did for them, newest first: tracked events from every touchpoint and Omnia's own domain facts (carts, orders, messages, consent…), each with its channel. Staff only (events:read): touchpoints cannot read a person's history.",
        params: TimelineParams,
        querystring: TimelineQuery,
        response: { 200: pageOf(TimelineEntryView) },
      },
      config: { scope: 'events:read' },
    },
    async (req) => inTransaction(db, (tx) => customerTimeline(tx, req.params.id, req.query)),
  )
}
