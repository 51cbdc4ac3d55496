import { z } from 'zod'
import { staffRoles } from '../../kernel/auth/index.js'

export const CreateKeyBody = z
  .strictObject({
    role: z.enum(staffRoles),
    name: z.string().min(1).max(200),
    location: z.string().min(1).max(40).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'CreateStaffKey' })
export type CreateKeyBody = z.infer<typeof CreateKeyBody>

export const KeyView = z
  .object({
    id: z.string(),
    prefix: z.string(),
    name: z.string(),
    kind: z.enum(['staff', 'touchpoint']),
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
