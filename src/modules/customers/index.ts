export { customerRoutes } from './routes.js'
export { customerMigrations } from './migrations/index.js'
export {
  addIdentities,
  findByIdentity,
  getCustomer,
  renameCustomer,
  resolveCustomer,
  resolveCustomerId,
  type ResolveInput,
  type Resolution,
  type ResolvedId,
} from './service.js'
export { defaultPhoneRegion, normaliseIdentity, normaliseIdentities, type Identity, type RawIdentity } from './identities.js'
export type { CustomersTables } from './db.js'
export {
  IdentityKind,
  IdentityInput,
  type CustomerView,
  type IdentityConflict,
  type IdentityView,
} from './schema.js'
export { canContact, inQuietHours, recordConsent, updatePreferences, listConsents, type ContactVerdict, type Recorder } from './consent.js'
export { unsubscribeToken, readUnsubscribeToken, type UnsubscribeClaim } from './consent-token.js'
export { smsKeyword } from './consent-sms.js'
export { ConsentChannel, ConsentPurpose, ConsentStatus, type ConsentView, type ConsentsView, type PreferencesView } from './consent-schema.js'
export { mergeProfiles, unmergeProfiles, mergedProfileIds, type MergeInput, type MergeResult } from './merge.js'
export { mergeFactsOf, mergeFactNames, type MergeFact } from './merge-facts.js'
export { resolveAndMerge, listRefusals, type MergedResolution } from './merge-resolve.js'
export { MergeRefusalView, type MergeRefusalReason } from './schema.js'
export { currentProfileIds } from './resolve-known.js'
export { resolveSightings, type Sighting } from './resolve-new.js'
export { ProfileExtrasView, type ProfileExtras } from './profile-extras.js'
