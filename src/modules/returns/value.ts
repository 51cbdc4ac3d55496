import { allocate } from '../../kernel/money.js'
import type { OrderView } from '../orders/index.js'

/**
 * What `quantity` units of `sku` were paid, when `before` units of it came back already: the
 * SKU's paid total (unit prices less their discounts, over every line of the SKU) is split
 * over the units by `allocate`, counted cumulatively, so the refunds of successive returns
 * add up exactly to what was paid once everything is back, and no cent is refunded twice.
 */
export function valueOfUnits(order: OrderView, sku: string, before: number, quantity: number) {
  const lines = order.lines.filter((l) => l.sku === sku)
  const bought = lines.reduce((n, l) => n + l.quantity, 0)
  const paid = lines.reduce((n, l) => n + l.unitPrice.amount * l.quantity - l.discount.amount, 0)
  const upTo = (units: number) => allocate(paid, [units, bought - units])[0]!
  return upTo(before + quantity) - upTo(before)
}
