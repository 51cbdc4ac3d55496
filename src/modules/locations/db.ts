import type { ColumnType, Selectable } from 'kysely'

export type LocationTable = {
  id: string
  code: string
  name: string
  kind: 'warehouse' | 'store' | 'dark_store'
  address: ColumnType<Address, string, string>
  lat: number
  lng: number
  ship_from: boolean
  pickup: boolean
  accept_returns: boolean
  opening_hours: ColumnType<OpeningHours | null, string | null, string | null>
  time_zone: string
  created_at: Date
  updated_at: Date
}

export type Address = {
  line1: string
  line2?: string | undefined
  city: string
  postalCode?: string | undefined
  region?: string | undefined
  country: string
}

export type OpeningHours = Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', { open: string; close: string }[]>>

export type LocationRow = Selectable<LocationTable>

export type LocationsTables = { 'locations.location': LocationTable }
