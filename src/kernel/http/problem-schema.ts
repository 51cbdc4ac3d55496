import { z } from 'zod'

/** RFC 9457 problem document as published in the OpenAPI document for every /v1 route. */
export const Problem = z
  .looseObject({
    type: z.string().describe('Stable URI naming the kind of problem; see docs/problems.md'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' })
