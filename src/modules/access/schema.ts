import { z } from 'zod'
import { staffRoles } from '../../kernel/auth/index.js'

/**
 * A staff key (`role`, the default kind) or a channel's publishable key (`kind: 'publishable'`,
 * `channel`): the key a web page or kiosk embeds, which may only send events and read the
 * catalog and prices.
 */
export const CreateKeyBody = z
  .strictObject({
    kind: z.enum(['staff', 'publishable']).default('staff'),
    role: z.enum(staffRoles).optional().describe('Staff keys: the role'),
    channel: z.string().min(1).max(40).optional().describe('Publishable keys: the channel code the events come from'),
    name: z.string().min(1).max(200).optional().describe('Required for staff keys'),
    location: z.string().min(1).max(40).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((body, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
    if (body.kind === 'staff') {
      if (!body.role) issue('role', 'a staff key needs a role')
      if (body.name === undefined) issue('name', 'a staff key needs a name')
      if (body.channel !== undefined) issue('channel', 'only publishable keys belong to a channel')
    } else {
      if (!body.channel) issue('channel', 'a publishable key needs the channel it sends events for')
      if (body.role !== undefined) issue('role', 'a publishable key has no staff role')
      if (body.location !== undefined) issue('location', "a publishable key takes its channel's location")
    }
  })
  .meta({ id: 'CreateApiKey' })
export type CreateKeyBody = z.infer<typeof CreateKeyBody>

export const KeyView = z
  .object({
    id: z.string(),
    prefix: z.string(),
    name: z.string(),
    kind: z.enum(['staff', 'touchpoint', 'publishable']),
    role: z.string().nullable(),
    channel: z.string().nullable(),
    location: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' })

export const CreatedKeyView = KeyView.extend({
  apiKey: z.string().describe('The key itself; shown this once and never again'),
}).meta({ id: 'CreatedApiKey' })

export const KeyParams = z.object({ id: z.string().min(1).max(64) })

export const UpdateKeyBody = z
  .strictObject({ expiresAt: z.iso.datetime({ offset: true }).nullable() })
  .meta({ id: 'UpdateApiKey' })

export const AuditQuery = z.object({
  resource: z.string().max(64).optional(),
  resourceId: z.string().max(64).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

export const AuditEntryView = z
  .object({
    id: z.number(),
    at: z.string(),
    keyId: z.string(),
    actor: z.string(),
    action: z.string(),
    resource: z.string(),
    resourceId: z.string(),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' })
