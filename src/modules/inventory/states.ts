import { illegalTransition } from '../../kernel/errors.js'
import type { ReservationStatus, TransferStatus } from './db.js'

export const reservationTransitions = {
  active: ['confirmed', 'released', 'expired'],
  confirmed: [],
  released: [],
  expired: [],
} as const satisfies Record<ReservationStatus, readonly ReservationStatus[]>

export const transferTransitions = {
  in_transit: ['received'],
  received: [],
} as const satisfies Record<TransferStatus, readonly TransferStatus[]>

type Table<S extends string> = Record<S, readonly S[]>

/** The states from which `to` may be reached: the guard of the UPDATE that performs the change. */
export function sourcesOf<S extends string>(table: Table<S>, to: S): S[] {
  return (Object.keys(table) as S[]).filter((from) => table[from].includes(to))
}

/** The refusal for a change the table does not allow, naming the allowed targets. */
export function refusedTransition<S extends string>(what: string, table: Table<S>, from: S, to: S) {
  return illegalTransition(what, from, to, table[from])
}
