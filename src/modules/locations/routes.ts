import { z } from 'zod'
import { recordAudit } from '../../kernel/auth/index.js'
import { inTransaction } from '../../kernel/db/index.js'
import { changeConfiguration, type ModuleRoutes } from '../../kernel/http/index.js'
import { CreateLocationBody, LocationListQuery, LocationParams, LocationView, UpdateLocationBody } from './schema.js'
import { createLocation, getLocation, listLocations, updateLocation } from './service.js'

export const locationRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.post(
    '/v1/locations',
    {
      schema: { tags: ['locations'], body: CreateLocationBody, response: { 201: LocationView } },
      config: { scope: 'locations:write' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 201, async (tx) => {
        const location = await createLocation(tx, clock, req.body)
        await recordAudit(tx, clock, req.principal, { action: 'location.created', resource: 'location', resourceId: location.id, after: location }, req.id)
        return location
      }),
  )

  app.get(
    '/v1/locations',
    {
      schema: { tags: ['locations'], querystring: LocationListQuery, response: { 200: z.object({ data: z.array(LocationView), nextCursor: z.null() }) } },
      config: { scope: 'locations:read' },
    },
    async (req) => ({ data: await inTransaction(db, (tx) => listLocations(tx, req.query)), nextCursor: null }),
  )

  app.get(
    '/v1/locations/:code',
    {
      schema: { tags: ['locations'], params: LocationParams, response: { 200: LocationView } },
      config: { scope: 'locations:read' },
    },
    async (req) => inTransaction(db, (tx) => getLocation(tx, req.params.code)),
  )

  app.patch(
    '/v1/locations/:code',
    {
      schema: { tags: ['locations'], params: LocationParams, body: UpdateLocationBody, response: { 200: LocationView } },
      config: { scope: 'locations:write' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const { before, after } = await updateLocation(tx, clock, req.params.code, req.body)
        await recordAudit(tx, clock, req.principal, { action: 'location.updated', resource: 'location', resourceId: after.id, before, after }, req.id)
        return after
      }),
  )
}
