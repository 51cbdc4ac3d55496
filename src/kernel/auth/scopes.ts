/** Every permission a route can ask for. A key's scopes come from its role or touchpoint kind. */
export const scopes = [
  'catalog:read',
  'catalog:write',
  'pricing:read',
  'pricing:write',
  'inventory:read',
  'inventory:reserve',
  'inventory:write',
  'locations:read',
  'locations:write',
  'channels:read',
  'channels:write',
  'customers:read',
  'customers:write',
  'keys:manage',
  'audit:read',
  'payments:read',
  'payments:write',
  'payments:manage',
] as const

export type Scope = (typeof scopes)[number]

export const staffRoles = ['admin', 'manager', 'clerk', 'agent', 'marketer', 'analyst'] as const
export type StaffRole = (typeof staffRoles)[number]

export const channelKinds = [
  'web',
  'app',
  'pos',
  'kiosk',
  'social',
  'callcenter',
  'marketplace',
  'email',
  'sms',
  'push',
] as const
export type ChannelKind = (typeof channelKinds)[number]

const reads: Scope[] = ['catalog:read', 'pricing:read', 'inventory:read', 'locations:read']
const selling: Scope[] = [...reads, 'inventory:reserve']
// Touchpoints take payments and check gift card balances; issuing stored value is staff work.
const paying: Scope[] = [...selling, 'payments:write', 'payments:read']
const customers: Scope[] = ['customers:read', 'customers:write']

export const roleScopes: Record<StaffRole, readonly Scope[]> = {
  admin: scopes,
  manager: scopes.filter((s) => s !== 'keys:manage' && s !== 'channels:write'),
  clerk: [...selling, 'inventory:write', ...customers, 'payments:write', 'payments:read', 'payments:manage'],
  agent: [...selling, ...customers, 'payments:write', 'payments:read'],
  marketer: [...reads, 'channels:read', 'customers:read'],
  analyst: [...reads, 'channels:read', 'audit:read', 'customers:read'],
}

/** Touchpoints sell; messaging channels only read what they need to render a message. */
export const channelKindScopes: Record<ChannelKind, readonly Scope[]> = {
  web: [...paying, ...customers],
  app: [...paying, ...customers],
  pos: [...paying, ...customers],
  kiosk: [...paying, ...customers],
  social: [...paying, ...customers],
  callcenter: [...paying, ...customers],
  marketplace: selling,
  email: reads,
  sms: reads,
  push: reads,
}
