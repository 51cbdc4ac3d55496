import { z } from 'zod'
import { channelKinds } from '../../kernel/auth/index.js'

export const ChannelCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be 1–40 lowercase letters, digits, - or _')

const LocationRef = z.string().min(1).max(40)

export const CreateChannelBody = z
  .strictObject({
    code: ChannelCode,
    name: z.string().min(1).max(200),
    kind: z.enum(channelKinds),
    location: LocationRef.optional().describe('The store of a pos or kiosk touchpoint'),
    sellsFrom: z.array(LocationRef).min(1).max(500).optional().describe(
      'Locations whose stock this channel sells; default: its store for pos and kiosk, every ship-from location otherwise',
    ),
  })
  .superRefine((body, ctx) => {
    if ((body.kind === 'pos' || body.kind === 'kiosk') && !body.location) {
      ctx.addIssue({ code: 'custom', path: ['location'], message: `a ${body.kind} channel needs its store's location code` })
    }
  })
  .meta({ id: 'CreateChannel' })
export type CreateChannelBody = z.infer<typeof CreateChannelBody>

export const UpdateChannelBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    sellsFrom: z.array(LocationRef).min(1).max(500).nullable(),
  })
  .partial()
  .meta({ id: 'UpdateChannel' })
export type UpdateChannelBody = z.infer<typeof UpdateChannelBody>

export const ChannelView = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    kind: z.enum(channelKinds),
    location: z.string().nullable(),
    sellsFrom: z.array(z.string()).nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Channel' })
export type ChannelView = z.infer<typeof ChannelView>

export const CreatedChannelView = ChannelView.extend({
  apiKey: z.string().describe("The touchpoint's key; shown this once and never again"),
  keyPrefix: z.string(),
}).meta({ id: 'CreatedChannel' })

export const ChannelParams = z.object({ code: z.string().min(1).max(40) })
