import { z } from 'zod'
import { ConsentView, PreferencesView } from './consent-schema.js'

/**
 * Every way a person can be recognised, across touchpoints. Stored in `customers.identity.kind`,
 * so a kind is permanent once released; new kinds are added at the end.
 */
export const IdentityKind = z.enum([
  'anonymous_id',
  'user_id',
  'email',
  'phone',
  'loyalty_card',
  'device_id',
  'instagram',
  'customer_number',
])
export type IdentityKind = z.infer<typeof IdentityKind>

export const Region = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as GR')

export const IdentityInput = z
  .strictObject({
    kind: IdentityKind,
    value: z.string().min(1).max(320),
    region: Region.optional().describe(
      'For phone numbers without a country code: the region to read them in (default OMNIA_DEFAULT_PHONE_REGION)',
    ),
  })
  .meta({ id: 'GivenIdentity' })
export type IdentityInput = z.infer<typeof IdentityInput>

const Identities = z.array(IdentityInput).min(1).max(20)
const Name = z.string().trim().min(1).max(200)

export const CreateCustomerBody = z
  .strictObject({
    name: Name.optional().describe('Kept only when the customer is new or has no name yet'),
    identities: Identities,
  })
  .meta({ id: 'CreateCustomer' })
export type CreateCustomerBody = z.infer<typeof CreateCustomerBody>

export const AddIdentitiesBody = z.strictObject({ identities: Identities }).meta({ id: 'AddIdentities' })
export type AddIdentitiesBody = z.infer<typeof AddIdentitiesBody>

export const UpdateCustomerBody = z.strictObject({ name: Name.nullable() }).meta({ id: 'UpdateCustomer' })
export type UpdateCustomerBody = z.infer<typeof UpdateCustomerBody>

export const CustomerParams = z.object({ id: z.string().min(1).max(64) })

export const CustomerQuery = z.object({
  identity: z
    .string()
    .min(3)
    .max(400)
    .describe('`kind:value`, e.g. `phone:+306912345678`, `instagram:maria.k`, `loyalty_card:00123`'),
  region: Region.optional(),
})

export const IdentityView = z
  .object({
    kind: IdentityKind,
    value: z.string(),
    isPrimary: z.boolean(),
    channel: z.string().nullable().describe('The touchpoint it was first given at'),
    createdAt: z.string(),
  })
  .meta({ id: 'Identity' })
export type IdentityView = z.infer<typeof IdentityView>

export const CustomerView = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    firstSeenChannel: z.string().nullable(),
    lastSeenAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    identities: z.array(IdentityView),
    consents: z.array(ConsentView).describe('The current choice per channel and purpose'),
    preferences: PreferencesView,
  })
  .meta({ id: 'Customer' })
export type CustomerView = z.infer<typeof CustomerView>

export const IdentityConflict = z
  .object({ kind: IdentityKind, value: z.string(), profileId: z.string() })
  .meta({ id: 'IdentityConflict' })
export type IdentityConflict = z.infer<typeof IdentityConflict>

export const ResolvedCustomerView = CustomerView.extend({
  created: z.boolean().describe('true when this request created the customer'),
  conflicts: z
    .array(IdentityConflict)
    .describe('Identities given that belong to another customer the rules keep apart (see merge refusals)'),
  merged: z.array(z.string()).describe('Profiles this request merged into the answered customer'),
}).meta({ id: 'ResolvedCustomer' })
export type ResolvedCustomerView = z.infer<typeof ResolvedCustomerView>

export const CustomerList = z.object({ data: z.array(CustomerView), nextCursor: z.null() })

export const MergeRefusalReason = z.enum(['identity-kind-never-merges', 'two-user-ids', 'unmerged-before'])
export type MergeRefusalReason = z.infer<typeof MergeRefusalReason>

export const MergeRefusalView = z
  .object({
    id: z.string(),
    profileIds: z.array(z.string()).describe('The profiles the identities named, left apart'),
    identities: z.array(z.object({ kind: IdentityKind, value: z.string() })).describe('What the request carried'),
    reason: MergeRefusalReason,
    createdAt: z.string(),
  })
  .meta({ id: 'MergeRefusal' })
export type MergeRefusalView = z.infer<typeof MergeRefusalView>

export const MergeBody = z
  .strictObject({ otherId: z.string().min(1).max(64).describe('The other customer; the older of the two survives') })
  .meta({ id: 'MergeCustomers' })
export type MergeBody = z.infer<typeof MergeBody>

export const UnmergeBody = z
  .strictObject({ loserId: z.string().min(1).max(64).describe('The customer that was merged into this one') })
  .meta({ id: 'UnmergeCustomer' })
export type UnmergeBody = z.infer<typeof UnmergeBody>

export const MergedCustomersView = z
  .object({
    survivor: CustomerView,
    loserId: z.string().nullable().describe('The profile merged away; null when the two were one customer already'),
  })
  .meta({ id: 'MergedCustomers' })
export type MergedCustomersView = z.infer<typeof MergedCustomersView>

export const UnmergedCustomersView = z
  .object({ survivor: CustomerView, restored: CustomerView })
  .meta({ id: 'UnmergedCustomers' })
export type UnmergedCustomersView = z.infer<typeof UnmergedCustomersView>
