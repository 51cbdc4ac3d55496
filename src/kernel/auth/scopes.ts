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
  // Merge and unmerge customer profiles: staff judgement, never a touchpoint's.
  'customers:merge',
  'keys:manage',
  'audit:read',
  'payments:read',
  'payments:write',
  'payments:manage',
  'carts:read',
  'carts:write',
  'events:read',
  'events:write',
  // Define the tracking plan (which events must look how): staff work, never a touchpoint's.
  'events:manage',
  'promotions:read',
  'promotions:write',
  // Preview discounts on a basket and redeem them: selling work, not reading.
  'promotions:apply',
  'orders:read',
  'orders:write',
  // Sourcing policy and shipping rates: how every order is allocated and charged.
  'orders:configure',
  'fulfillment:read',
  'fulfillment:write',
  'returns:read',
  'returns:write',
  // Booking a parcel of returned goods in: work for a store or a warehouse, not a web shop.
  'returns:receive',
  // Set the return policy: the business's rule, never a store's or a touchpoint's.
  'returns:manage',
  'segments:read',
  'segments:write',
  // Declare computed traits (back-filled over every profile): administration, not marketing.
  'traits:manage',
  // How the server's own background work is keeping up (outbox consumers' backlog).
  'operations:read',
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

const reads: Scope[] = ['catalog:read', 'pricing:read', 'inventory:read', 'locations:read', 'promotions:read']
const selling: Scope[] = [...reads, 'inventory:reserve', 'promotions:apply']
// Touchpoints take payments and check gift card balances; issuing stored value is staff work.
const paying: Scope[] = [...selling, 'payments:write', 'payments:read']
const customers: Scope[] = ['customers:read', 'customers:write']
// Every touchpoint may send behavioural events (Segment-compatible ingestion); staff inspect them.
const tracking: Scope[] = ['events:write']
const carts: Scope[] = ['carts:read', 'carts:write']
const orders: Scope[] = ['orders:read', 'orders:write']
const fulfillment: Scope[] = ['fulfillment:read', 'fulfillment:write']
const returns: Scope[] = ['returns:read', 'returns:write']

export const roleScopes: Record<StaffRole, readonly Scope[]> = {
  admin: scopes,
  manager: scopes.filter((s) => s !== 'keys:manage' && s !== 'channels:write' && s !== 'events:write' && s !== 'returns:manage' && s !== 'traits:manage'),
  clerk: [...selling, 'inventory:write', ...customers, 'customers:merge', 'payments:write', 'payments:read', 'payments:manage', ...carts, ...orders, ...fulfillment, ...returns, 'returns:receive'],
  agent: [...selling, ...customers, 'customers:merge', 'payments:write', 'payments:read', ...carts, 'events:read', ...orders, 'fulfillment:read', ...returns],
  marketer: [...reads, 'channels:read', 'customers:read', 'carts:read', 'events:read', 'events:manage', 'promotions:write', 'orders:read', 'segments:read', 'segments:write'],
  analyst: [...reads, 'channels:read', 'audit:read', 'operations:read', 'customers:read', 'carts:read', 'events:read', 'orders:read', 'returns:read', 'segments:read'],
}

/** Touchpoints sell; messaging channels only read what they need to render a message. */
export const channelKindScopes: Record<ChannelKind, readonly Scope[]> = {
  web: [...paying, ...customers, ...carts, ...tracking, ...orders, ...returns],
  app: [...paying, ...customers, ...carts, ...tracking, ...orders, ...returns],
  pos: [...paying, ...customers, ...carts, ...tracking, ...orders, ...fulfillment, ...returns, 'returns:receive'],
  kiosk: [...paying, ...customers, ...carts, ...tracking, ...orders, ...returns],
  social: [...paying, ...customers, ...carts, ...tracking, ...orders, ...returns],
  callcenter: [...paying, ...customers, ...carts, ...tracking, ...orders, 'fulfillment:read', ...returns],
  marketplace: [...selling, ...tracking],
  email: [...reads, ...tracking],
  // The SMS gateway reports STOP/START replies, which change a customer's consent.
  sms: [...reads, ...tracking, 'customers:write'],
  push: [...reads, ...tracking],
}

/**
 * A publishable key is shipped inside a web page or a kiosk's bundle, so anyone can read it: it
 * may send behavioural events and read what a shop window shows, never a person's data, a
 * basket, an order or stock it could reserve.
 */
export const publishableScopes: readonly Scope[] = ['events:write', 'catalog:read', 'pricing:read']
