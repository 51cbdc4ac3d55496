import { z } from 'zod'
import { recordAudit } from '../../kernel/auth/index.js'
import { inTransaction } from '../../kernel/db/index.js'
import { changeConfiguration, type ModuleRoutes } from '../../kernel/http/index.js'
import { ChannelParams, ChannelView, CreateChannelBody, CreatedChannelView, UpdateChannelBody } from './schema.js'
import { createChannel, findChannel, issueTouchpointKey, listChannels, toView, updateChannel } from './service.js'

export const channelRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  app.post(
    '/v1/channels',
    { schema: { tags: ['channels'], body: CreateChannelBody, response: { 201: CreatedChannelView } }, config: { scope: 'channels:write' } },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 201, async (tx) => {
        const channel = await createChannel(tx, clock, req.body)
        const { apiKey: _secret, ...visible } = channel
        await recordAudit(tx, clock, req.principal, { action: 'channel.created', resource: 'channel', resourceId: channel.id, after: visible }, req.id)
        return channel
      }),
  )
  app.get(
    '/v1/channels',
    { schema: { tags: ['channels'], response: { 200: z.object({ data: z.array(ChannelView), nextCursor: z.null() }) } }, config: { scope: 'channels:read' } },
    async () => ({ data: await inTransaction(db, (tx) => listChannels(tx)), nextCursor: null }),
  )
  app.get(
    '/v1/channels/:code',
    { schema: { tags: ['channels'], params: ChannelParams, response: { 200: ChannelView } }, config: { scope: 'channels:read' } },
    async (req) => toView(await inTransaction(db, (tx) => findChannel(tx, req.params.code))),
  )
  app.patch(
    '/v1/channels/:code',
    { schema: { tags: ['channels'], params: ChannelParams, body: UpdateChannelBody, response: { 200: ChannelView } }, config: { scope: 'channels:write' } },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const { before, after } = await updateChannel(tx, clock, req.params.code, req.body)
        await recordAudit(tx, clock, req.principal, { action: 'channel.updated', resource: 'channel', resourceId: after.id, before, after }, req.id)
        return after
      }),
  )
  app.post(
    '/v1/channels/:code/keys',
    { schema: { tags: ['channels'], params: ChannelParams, response: { 201: CreatedChannelView } }, config: { scope: 'channels:write' } },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 201, async (tx) => {
        const channel = await findChannel(tx, req.params.code)
        const key = await issueTouchpointKey(tx, clock, channel)
        await recordAudit(tx, clock, req.principal, { action: 'channel.key_issued', resource: 'channel', resourceId: channel.id, after: { keyId: key.id, prefix: key.prefix } }, req.id)
        return { ...toView(channel), apiKey: key.apiKey, keyPrefix: key.prefix }
      }),
  )
}
