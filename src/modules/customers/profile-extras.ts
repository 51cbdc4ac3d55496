import { z } from 'zod'
import type { AnyTx } from '../../kernel/db/index.js'
import { CustomerView } from './schema.js'

/**
 * What other modules add to a customer's profile view (computed traits, segment memberships).
 * Customers cannot import those modules, so the server hands an implementation to
 * `customerRoutes`; without one the view simply has no extras.
 */
export type ProfileExtras = (tx: AnyTx, profileId: string) => Promise<ProfileExtrasView>

export const ProfileExtrasView = z.object({
  traits: z.record(z.string(), z.unknown()).describe('Computed traits, and `identify` traits under `custom`'),
  segments: z.array(z.object({ segmentId: z.string(), name: z.string(), enteredAt: z.string() })),
})
export type ProfileExtrasView = z.infer<typeof ProfileExtrasView>

/** A customer as `GET /v1/customers/{id}` shows them: the view plus the extras, when wired. */
export const CustomerProfileView = CustomerView.extend(ProfileExtrasView.partial().shape).meta({ id: 'CustomerProfile' })
