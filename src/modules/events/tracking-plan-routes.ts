import { recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { changeConfiguration, PageQuery, pageOf, type ModuleRoutes } from '../../kernel/http/index.js'
import { EventName, TrackingPlanBody, TrackingPlanView, TrackingSchemaBody, TrackingSchemaView, ViolationCountView, ViolationView } from './schema.js'
import { listViolations, putEventSchema, removeEventSchema, setPlanMode, trackingPlan, violationCounts } from './tracking-plan.js'

const tags = ['tracking plan']

/**
 * The tracking plan: optional JSON schemas for track events' properties, each event in `record`
 * mode (stored, violation recorded) or `reject` mode (400, nothing stored), and the violations
 * recorded. Reading needs events:read, changing it events:manage (staff only).
 */
export const trackingPlanRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.get(
    '/v1/tracking-plan',
    { schema: { tags, response: { 200: TrackingPlanView } }, config: { scope: 'events:read' } },
    async () => inTransaction(db, (tx) => trackingPlan(tx)),
  )
  app.put(
    '/v1/tracking-plan',
    {
      schema: { tags, description: "Sets the plan's default mode, for events whose schema names none.", body: TrackingPlanBody, response: { 200: TrackingPlanView } },
      config: { scope: 'events:manage' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const plan = await setPlanMode(tx, clock, req.body.mode)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'tracking_plan.mode_set', resource: 'tracking_plan', resourceId: 'default', after: { mode: plan.mode } }, req.id)
        return plan
      }),
  )
  app.put(
    '/v1/tracking-plan/events/:event',
    {
      schema: {
        tags,
        description: "Creates or replaces the schema a track event's properties must satisfy.",
        params: EventName,
        body: TrackingSchemaBody,
        response: { 200: TrackingSchemaView },
      },
      config: { scope: 'events:manage' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const { before, after } = await putEventSchema(tx, clock, req.params.event, req.body)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'tracking_plan.schema_set', resource: 'tracking_schema', resourceId: after.event, before, after }, req.id)
        return after
      }),
  )
  app.delete(
    '/v1/tracking-plan/events/:event',
    { schema: { tags, params: EventName, response: { 200: TrackingSchemaView } }, config: { scope: 'events:manage' } },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const before = await removeEventSchema(tx, req.params.event)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'tracking_plan.schema_removed', resource: 'tracking_schema', resourceId: before.event, before }, req.id)
        return before
      }),
  )
  app.get(
    '/v1/tracking-plan/violations',
    {
      schema: { tags, description: 'Recorded violations counted per event name, by name.', querystring: PageQuery, response: { 200: pageOf(ViolationCountView) } },
      config: { scope: 'events:read' },
    },
    async (req) => inTransaction(db, (tx) => violationCounts(tx, req.query)),
  )
  app.get(
    '/v1/tracking-plan/violations/:event',
    {
      schema: { tags, description: "One event name's recorded violations, newest first.", params: EventName, querystring: PageQuery, response: { 200: pageOf(ViolationView) } },
      config: { scope: 'events:read' },
    },
    async (req) => inTransaction(db, (tx) => listViolations(tx, req.params.event, req.query)),
  )
}
