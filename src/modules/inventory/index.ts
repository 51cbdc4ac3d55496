export { inventoryRoutes } from './routes.js'
export { inventoryMigrations } from './migrations/index.js'
export { inventoryTasks, expireReservations } from './tasks.js'
export {
  reserve,
  confirmReservation,
  releaseReservation,
  getReservation,
  callerOf,
  type Caller,
  type ReserveInput,
} from './reservations.js'
export { releaseExpired } from './expiry.js'
export { recordMovement, recordMovements, type MovementsResult } from './movements.js'
export {
  createTransfer,
  receiveTransfer,
  getTransfer,
  transfersForReservations,
  type TransferInput,
} from './transfers.js'
export { setStockSettings, type StockSettingsInput } from './settings.js'
export { stockOf, listStock, ledgerOf, availableBySku, availableAt } from './queries.js'
export { planReservation, type Allocation, type ReservationPlan } from './sourcing.js'
export {
  planSourcing,
  eligibleCandidates,
  defaultSourcingPolicy,
  shippingRules,
  type Candidate,
  type ShippingRule,
  type Shipment,
  type SourcingDecision,
  type SourcingInput,
  type SourcingPlan,
  type SourcingPolicy,
  type SourcingRule,
} from './sourcing-rules.js'
export { reserveSourced, type SourcedReserveInput } from './sourced-reservations.js'
export { resourceReservation, type ResourceInput, type ResourcedPlan } from './reservation-moves.js'
export { distanceKm, type Geo } from './geo.js'
export { inventoryEvents, StockLevelEvent, ReservationEvent } from './events.js'
export type { InventoryTables, LedgerKind, ReservationStatus, TransferStatus } from './db.js'
export type { Shortage, LevelChange, StockKey } from './stock.js'
export {
  MovementInput,
  ReserveBody,
  type ReserveLine,
  type ReservationView,
  type StockView,
  type StockLevelView,
  type LocationStock,
  type LedgerEntryView,
  type TransferView,
} from './schema.js'
