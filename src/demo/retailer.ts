import type { StaffRole } from '../kernel/auth/index.js'
import type { CreateChannelBody } from '../modules/channels/index.js'
import type { CreateLocationBody } from '../modules/locations/index.js'
import type { CreatePromotionBody } from '../modules/promotions/index.js'
import type { ReturnPolicyBody } from '../modules/returns/index.js'

/**
 * Anemone, a fashion and lifestyle brand from Athens with a store in Tehran: two warehouses (one
 * per market), three stores, a quarantine for damaged returns, and every kind of touchpoint the
 * engine serves.
 */
export const retailerName = 'Anemone'

const greekWeek = {
  mon: [{ open: '10:00', close: '21:00' }],
  tue: [{ open: '10:00', close: '21:00' }],
  wed: [{ open: '10:00', close: '21:00' }],
  thu: [{ open: '10:00', close: '21:00' }],
  fri: [{ open: '10:00', close: '21:00' }],
  sat: [{ open: '10:00', close: '20:00' }],
}

// Iranian shops open Saturday to Thursday, with a long evening; Friday is the weekend.
const tehranWeek = {
  sat: [{ open: '10:00', close: '22:00' }],
  sun: [{ open: '10:00', close: '22:00' }],
  mon: [{ open: '10:00', close: '22:00' }],
  tue: [{ open: '10:00', close: '22:00' }],
  wed: [{ open: '10:00', close: '22:00' }],
  thu: [{ open: '10:00', close: '22:00' }],
}

/**
 * Where damaged returns go, from any store or parcel: a ledger location at the Piraeus centre
 * that ships, collects and takes back nothing, so its units are never sold.
 */
export const quarantine: CreateLocationBody = {
  code: 'quarantine',
  name: 'Damaged returns (quarantine)',
  kind: 'warehouse',
  address: { line1: 'Akti Kondyli 32', city: 'Piraeus', postalCode: '185 45', country: 'GR' },
  geo: { lat: 37.9479, lng: 23.6414 },
  capabilities: { shipFrom: false, pickup: false, acceptReturns: false },
  timeZone: 'Europe/Athens',
}

export const locations: CreateLocationBody[] = [
  {
    code: 'wh-piraeus',
    name: 'Piraeus distribution centre',
    kind: 'warehouse',
    address: { line1: 'Akti Kondyli 32', city: 'Piraeus', postalCode: '185 45', country: 'GR' },
    geo: { lat: 37.9479, lng: 23.6414 },
    capabilities: { shipFrom: true, pickup: false, acceptReturns: true },
    timeZone: 'Europe/Athens',
  },
  {
    code: 'wh-tehran',
    name: 'Tehran warehouse',
    kind: 'warehouse',
    address: { line1: 'Fath Highway, km 9', city: 'Tehran', postalCode: '13791', country: 'IR' },
    geo: { lat: 35.6563, lng: 51.2867 },
    capabilities: { shipFrom: true, pickup: false, acceptReturns: true },
    timeZone: 'Asia/Tehran',
  },
  {
    code: 'store-athens',
    name: 'Anemone Ermou',
    kind: 'store',
    address: { line1: 'Ermou 24', city: 'Athens', postalCode: '105 63', country: 'GR' },
    geo: { lat: 37.9757, lng: 23.7298 },
    capabilities: { shipFrom: true, pickup: true, acceptReturns: true },
    openingHours: greekWeek,
    timeZone: 'Europe/Athens',
  },
  {
    code: 'store-thessaloniki',
    name: 'Anemone Tsimiski',
    kind: 'store',
    address: { line1: 'Tsimiski 45', city: 'Thessaloniki', postalCode: '546 23', country: 'GR' },
    geo: { lat: 40.6321, lng: 22.9415 },
    capabilities: { shipFrom: false, pickup: true, acceptReturns: true },
    openingHours: greekWeek,
    timeZone: 'Europe/Athens',
  },
  {
    code: 'store-tehran',
    name: 'Anemone Tajrish',
    kind: 'store',
    address: {
      line1: 'Shariati St, Tajrish Square',
      city: 'Tehran',
      postalCode: '19368',
      country: 'IR',
    },
    geo: { lat: 35.8046, lng: 51.4337 },
    capabilities: { shipFrom: true, pickup: true, acceptReturns: true },
    openingHours: tehranWeek,
    timeZone: 'Asia/Tehran',
  },
  quarantine,
]


/**
 * Thirty days, unworn or damaged (damaged into quarantine), order ids at the tills, pierced
 * jewellery never; parcels go back to the location that shipped them.
 */
export const returnPolicy: ReturnPolicyBody = {
  windowDays: 30,
  acceptedConditions: ['unopened', 'as_new', 'damaged'],
  quarantineConditions: ['damaged'],
  idProofChannelKinds: ['pos'],
  nonReturnableCategories: ['jewellery'],
  quarantineLocation: quarantine.code,
  postLocation: null,
}

/** A sale on knitwear for everyone, and a first-order coupon each customer may use once. */
export const promotions: CreatePromotionBody[] = [
  {
    name: 'Knitwear week: 15% off',
    trigger: 'automatic',
    discount: { type: 'percentage', percentOff: 15 },
    target: { kind: 'categories', categories: ['women-knitwear', 'men-knitwear'] },
    stackable: false,
  },
  {
    name: 'Welcome: 10 EUR off an order of 60 EUR or more',
    trigger: 'coupon',
    code: 'WELCOME10',
    discount: { type: 'fixed', amountOff: { amount: 1000, currency: 'EUR' } },
    target: { kind: 'order' },
    minSpend: { amount: 6000, currency: 'EUR' },
    perCustomerLimit: 1,
    stackable: true,
  },
]

const sells = (l: CreateLocationBody) => l.capabilities.shipFrom || l.capabilities.pickup
export const warehouses = locations
  .filter((l) => l.kind === 'warehouse' && sells(l))
  .map((l) => l.code)
export const stores = locations.filter((l) => l.kind === 'store').map((l) => l.code)

export const channels: CreateChannelBody[] = [
  { code: 'web', name: 'anemone.example web shop', kind: 'web' },
  { code: 'app', name: 'Anemone app', kind: 'app' },
  { code: 'pos-athens', name: 'Ermou tills', kind: 'pos', location: 'store-athens' },
  { code: 'pos-thessaloniki', name: 'Tsimiski tills', kind: 'pos', location: 'store-thessaloniki' },
  { code: 'pos-tehran', name: 'Tajrish tills', kind: 'pos', location: 'store-tehran' },
  // The endless-aisle kiosk in the Athens store sells the store's stock and the warehouse's.
  {
    code: 'kiosk-athens',
    name: 'Ermou kiosk',
    kind: 'kiosk',
    location: 'store-athens',
    sellsFrom: ['store-athens', 'wh-piraeus'],
  },
  { code: 'instagram', name: 'Instagram @anemone', kind: 'social' },
  { code: 'callcenter', name: 'Customer service', kind: 'callcenter' },
]

export type StaffMember = { label: string; name: string; role: StaffRole; location: string | null }

export const staff: StaffMember[] = [
  { label: 'admin', name: 'Eleni Papadopoulou', role: 'admin', location: null },
  { label: 'manager', name: 'Sara Ahmadi', role: 'manager', location: null },
  { label: 'clerk-athens', name: 'Maria Konstantinou', role: 'clerk', location: 'store-athens' },
  {
    label: 'clerk-thessaloniki',
    name: 'Giorgos Dimitriou',
    role: 'clerk',
    location: 'store-thessaloniki',
  },
  { label: 'clerk-tehran', name: 'Reza Karimi', role: 'clerk', location: 'store-tehran' },
  { label: 'agent', name: 'Dimitra Nikolaou', role: 'agent', location: null },
  { label: 'marketer', name: 'Leila Moradi', role: 'marketer', location: null },
  { label: 'analyst', name: 'Kostas Ioannou', role: 'analyst', location: null },
]
