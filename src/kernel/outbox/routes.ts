import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Clock } from '../clock.js'
import { lagCountCap, type OutboxDispatcher } from './dispatcher.js'

const ConsumerLagView = z
  .object({
    consumer: z.string(),
    pending: z.number().int().describe(`Events after the consumer's checkpoint, counted up to ${lagCountCap}`),
    pendingCapped: z.boolean().describe('The count stopped at the cap: the backlog is at least that long'),
    oldestPendingAt: z.string().nullable(),
    lagSeconds: z.number().describe('Age of the oldest pending event; 0 when caught up'),
    checkpointAt: z.string().nullable().describe('When the checkpoint last moved'),
  })
  .meta({ id: 'ConsumerLag' })

/**
 * `GET /v1/outbox/consumers`: how each in-process consumer of the outbox (timeline, traits and
 * segments, carts and orders following merges, …) is keeping up — what to watch when journeys,
 * segments or timelines seem late.
 */
export const outboxRoutes: FastifyPluginAsyncZod<{ dispatcher: OutboxDispatcher; clock: Clock }> = async (app, { dispatcher, clock }) => {
  app.get(
    '/v1/outbox/consumers',
    {
      schema: { tags: ['operations'], response: { 200: z.object({ data: z.array(ConsumerLagView) }) } },
      config: { scope: 'operations:read' },
    },
    async () => {
      const now = clock.now().getTime()
      const data = (await dispatcher.lag()).map((l) => ({
        consumer: l.consumer,
        pending: l.pending,
        pendingCapped: l.pending >= lagCountCap,
        oldestPendingAt: l.oldestPendingAt?.toISOString() ?? null,
        lagSeconds: l.oldestPendingAt ? Math.max(0, (now - l.oldestPendingAt.getTime()) / 1000) : 0,
        checkpointAt: l.checkpointAt?.toISOString() ?? null,
      }))
      return { data }
    },
  )
}
