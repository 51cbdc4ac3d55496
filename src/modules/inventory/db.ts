import type { Generated, Selectable } from 'kysely'

export type StockLevelTable = {
  sku: string
  location: string
  on_hand: number
  reserved: number
  safety_stock: number
  low_stock_threshold: number | null
  updated_at: Date
}

export type LedgerKind =
  'receipt' | 'sale' | 'return' | 'transfer_out' | 'transfer_in' | 'adjustment' | 'count'

export type LedgerEntryTable = {
  id: Generated<number>
  sku: string
  location: string
  kind: LedgerKind
  // Signed change to on-hand stock; the sum per (sku, location) is always its on_hand.
  quantity: number
  reason: string
  actor: string
  reference: string | null
  occurred_at: Date
}

export type ReservationStatus = 'active' | 'confirmed' | 'released' | 'expired'

export type ReservationTable = {
  id: string
  status: ReservationStatus
  reference: string
  channel: string | null
  store: string | null
  actor: string
  expires_at: Date
  created_at: Date
  updated_at: Date
}

export type ReservationLineTable = {
  reservation_id: string
  sku: string
  location: string
  quantity: number
}

export type TransferStatus = 'in_transit' | 'received'

export type TransferTable = {
  id: string
  sku: string
  from_location: string
  to_location: string
  quantity: number
  status: TransferStatus
  reason: string
  reference: string | null
  /** The reservation its units are held for again on receipt (a collection made up elsewhere). */
  reservation_id: string | null
  actor: string
  created_at: Date
  received_at: Date | null
}

export type StockLevelRow = Selectable<StockLevelTable>
export type LedgerEntryRow = Selectable<LedgerEntryTable>
export type ReservationRow = Selectable<ReservationTable>
export type ReservationLineRow = Selectable<ReservationLineTable>
export type TransferRow = Selectable<TransferTable>

export type InventoryTables = {
  'inventory.stock_level': StockLevelTable
  'inventory.ledger_entry': LedgerEntryTable
  'inventory.reservation': ReservationTable
  'inventory.reservation_line': ReservationLineTable
  'inventory.transfer': TransferTable
}
