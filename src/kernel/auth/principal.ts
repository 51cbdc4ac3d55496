import { DomainError } from '../errors.js'
import type { ChannelKind, Scope, StaffRole } from './scopes.js'

/** Who is calling: a staff member's key or a touchpoint's key, with what it may do. */
export type Principal = {
  readonly keyId: string
  readonly name: string
  readonly scopes: ReadonlySet<Scope>
} & (
  | { readonly kind: 'staff'; readonly role: StaffRole; readonly location: string | null }
  | {
      readonly kind: 'touchpoint'
      readonly channel: { readonly id: string; readonly code: string; readonly kind: ChannelKind }
      readonly location: string | null
    }
)

/** The channel code a touchpoint stamps on what it creates; staff act on no channel. */
export function channelOf(principal: Principal): string | null {
  return principal.kind === 'touchpoint' ? principal.channel.code : null
}

/** A short label for logs and the audit trail: `admin:Ops script`, `pos:pos-tehran`. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'staff'
    ? `${principal.role}:${principal.name}`
    : `${principal.channel.kind}:${principal.channel.code}`
}

/**
 * A till or a clerk acts at its own location; staff and touchpoints of no location, anywhere.
 * `forbidden` when a key of `store` reaches for `location`; `subject` says what is where.
 */
export function keepToOwnLocation(store: string | null, location: string | null, subject: string) {
  if (store && store !== location)
    throw new DomainError('forbidden', `${subject}; a key of ${store} acts only at ${store}`)
}
