import { Readable } from 'node:stream'
import { recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { PageQuery, pageOf, sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import { membersCsv } from './csv.js'
import { defineTrait, listTraitDefinitions } from './definitions.js'
import { previewRule } from './membership.js'
import { listMembers, listSegments, memberCounts, profileSegments, profileTraits } from './queries.js'
import {
  CountsQuery,
  CountsView,
  CustomerParams,
  MemberView,
  PreviewBody,
  PreviewView,
  ProfileSegmentsView,
  ProfileTraitsView,
  RecomputeView,
  SegmentBody,
  SegmentParams,
  SegmentView,
  TraitDefinition,
  TraitDefinitionView,
} from './schema.js'
import { createSegment, deleteSegment, findSegment, recomputeSegment, recomputeTraitReaders, toView, updateSegment } from './segments.js'

const tags = ['segments']

export const segmentRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.get(
    '/v1/traits/definitions',
    { schema: { tags, response: { 200: pageOf(TraitDefinitionView) } }, config: { scope: 'segments:read' } },
    async () => ({ data: await inTransaction(db, (tx) => listTraitDefinitions(tx)), nextCursor: null }),
  )
  app.post(
    '/v1/traits/definitions',
    {
      schema: {
        tags,
        description: 'Adds a computed trait, declared as data, and computes it for every profile from the stored facts before answering.',
        body: TraitDefinition,
        response: { 201: TraitDefinitionView },
      },
      config: { scope: 'traits:manage' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        await defineTrait(tx, clock.now(), req.body)
        await recomputeTraitReaders(tx, clock, req.body.name)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'trait.defined', resource: 'trait_definition', resourceId: req.body.name, after: req.body }, req.id)
        return { name: req.body.name, builtIn: false, definition: req.body, createdAt: clock.now().toISOString() }
      }),
  )
  app.post(
    '/v1/segments',
    { schema: { tags, body: SegmentBody, response: { 201: SegmentView } }, config: { scope: 'segments:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const segment = await createSegment(tx, clock, req.body)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'segment.created', resource: 'segment', resourceId: segment.id, after: segment }, req.id)
        return segment
      }),
  )
  app.get(
    '/v1/segments',
    { schema: { tags, querystring: PageQuery, response: { 200: pageOf(SegmentView) } }, config: { scope: 'segments:read' } },
    (req) => inTransaction(db, (tx) => listSegments(tx, req.query)),
  )
  app.post(
    '/v1/segments/preview',
    {
      schema: { tags, description: 'How many profiles a rule selects now, and a sample of them, without saving anything.', body: PreviewBody, response: { 200: PreviewView } },
      config: { scope: 'segments:write' },
    },
    (req) => inTransaction(db, (tx) => previewRule(tx, clock.now(), req.body.rule, req.body.sampleSize)),
  )
  app.get(
    '/v1/segments/:id',
    { schema: { tags, params: SegmentParams, response: { 200: SegmentView } }, config: { scope: 'segments:read' } },
    async (req) => toView(await inTransaction(db, (tx) => findSegment(tx, req.params.id))),
  )
  app.put(
    '/v1/segments/:id',
    { schema: { tags, params: SegmentParams, body: SegmentBody, response: { 200: SegmentView } }, config: { scope: 'segments:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const { before, after } = await updateSegment(tx, clock, req.params.id, req.body)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'segment.updated', resource: 'segment', resourceId: after.id, before, after }, req.id)
        return after
      }),
  )
  app.delete(
    '/v1/segments/:id',
    { schema: { tags, params: SegmentParams, response: { 200: SegmentView } }, config: { scope: 'segments:write' } },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const before = await deleteSegment(tx, req.params.id)
        await recordAudit(crossModule(tx), clock, req.principal, { action: 'segment.deleted', resource: 'segment', resourceId: before.id, before }, req.id)
        return before
      }),
  )
  app.post(
    '/v1/segments/:id/recompute',
    {
      schema: { tags, description: 'Recomputes the members from scratch and applies the difference (entered/exited events).', params: SegmentParams, response: { 200: RecomputeView } },
      config: { scope: 'segments:write' },
    },
    (req, reply) => sendWrite(req, reply, deps, 200, (tx) => recomputeSegment(tx, clock, req.params.id)),
  )
  app.get(
    '/v1/segments/:id/members',
    { schema: { tags, params: SegmentParams, querystring: PageQuery, response: { 200: pageOf(MemberView) } }, config: { scope: 'segments:read' } },
    (req) => inTransaction(db, (tx) => listMembers(tx, req.params.id, req.query)),
  )
  app.get(
    '/v1/segments/:id/counts',
    { schema: { tags, params: SegmentParams, querystring: CountsQuery, response: { 200: CountsView } }, config: { scope: 'segments:read' } },
    (req) => inTransaction(db, (tx) => memberCounts(tx, clock, req.params.id, req.query.days)),
  )
  app.get(
    '/v1/segments/:id/members.csv',
    {
      schema: { tags, description: 'Every member as CSV (profile_id, entered_at), streamed in profile id order.', params: SegmentParams },
      config: { scope: 'segments:read' },
    },
    async (req, reply) => {
      await inTransaction(db, (tx) => findSegment(tx, req.params.id))
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${req.params.id}.csv"`)
      return reply.send(Readable.from(membersCsv(db, req.params.id)))
    },
  )
  app.get(
    '/v1/customers/:id/traits',
    { schema: { tags, params: CustomerParams, response: { 200: ProfileTraitsView } }, config: { scope: 'customers:read' } },
    (req) => inTransaction(db, (tx) => profileTraits(tx, req.params.id)),
  )
  app.get(
    '/v1/customers/:id/segments',
    { schema: { tags, params: CustomerParams, response: { 200: ProfileSegmentsView } }, config: { scope: 'customers:read' } },
    (req) => inTransaction(db, (tx) => profileSegments(tx, req.params.id)),
  )
}
