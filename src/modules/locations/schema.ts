import { z } from 'zod'

export const LocationCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be 1–40 lowercase letters, digits, - or _')

const Hours = z.array(
  z.strictObject({
    open: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
    close: z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:MM'),
  }),
)

export const OpeningHours = z
  .strictObject({ mon: Hours, tue: Hours, wed: Hours, thu: Hours, fri: Hours, sat: Hours, sun: Hours })
  .partial()

export const Address = z.strictObject({
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().max(20).optional(),
  region: z.string().max(100).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
})

export const Geo = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
})

export const Capabilities = z.strictObject({
  shipFrom: z.boolean(),
  pickup: z.boolean(),
  acceptReturns: z.boolean(),
})

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export const TimeZone = z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Asia/Tehran')

export const LocationKind = z.enum(['warehouse', 'store', 'dark_store'])

export const CreateLocationBody = z
  .strictObject({
    code: LocationCode,
    name: z.string().min(1).max(200),
    kind: LocationKind,
    address: Address,
    geo: Geo,
    capabilities: Capabilities,
    openingHours: OpeningHours.optional(),
    timeZone: TimeZone.default('UTC'),
  })
  .meta({ id: 'CreateLocation' })
export type CreateLocationBody = z.infer<typeof CreateLocationBody>

export const UpdateLocationBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    address: Address,
    geo: Geo,
    capabilities: Capabilities.partial(),
    openingHours: OpeningHours.nullable(),
    timeZone: TimeZone,
  })
  .partial()
  .meta({ id: 'UpdateLocation' })
export type UpdateLocationBody = z.infer<typeof UpdateLocationBody>

export const LocationView = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    kind: LocationKind,
    address: Address,
    geo: Geo,
    capabilities: Capabilities,
    openingHours: OpeningHours.nullable(),
    timeZone: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Location' })
export type LocationView = z.infer<typeof LocationView>

export const LocationParams = z.object({ code: z.string().min(1).max(40) })

export const LocationListQuery = z.object({
  kind: LocationKind.optional(),
  capability: z.enum(['shipFrom', 'pickup', 'acceptReturns']).optional(),
})
