import { sql } from 'kysely'
import { keepToOwnLocation } from '../../kernel/auth/index.js'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { Currency } from '../../kernel/money.js'
import { categoriesBySku } from '../catalog/index.js'
import { recordMovements, setStockSettings } from '../inventory/index.js'
import { getLocation } from '../locations/index.js'
import { getOrder, trackOrder, type OrderOrigin, type OrderView } from '../orders/index.js'
import { getPayment, type PaymentProvider, type PaymentView } from '../payments/index.js'
import type { ReturnsTables } from './db.js'
import { returnNotAllowed, type Refusal } from './errors.js'
import { getReturnPolicy } from './policy.js'
import { recordReturn } from './records.js'
import { awaitingGoods, routeRefund } from './refunds.js'
import { planReturn, type PlannedLine } from './rules.js'
import type { CreateReturnBody, ReturnLineInput, ReturnView } from './schema.js'
import { valueOfUnits } from './value.js'

type ReturnsTx = Tx<ReturnsTables>

const neverSold = 1_000_000_000

/** Who takes the return: the key's channel (and its kind), store and staff key. */
export type ReturnOrigin = OrderOrigin & { channelKind: string | null }

/** How the order is named and where the goods arrive, as a return or an exchange gives them. */
export type ReturnRequest = {
  orderId?: string | undefined
  orderNumber?: number | undefined
  contact?: string | undefined
  location?: string | undefined
  byPost?: true | undefined
  lines: readonly ReturnLineInput[]
  /** Where line problems point: `lines` or `returnLines`. */
  field: string
}

/** An admitted return: written lines and restocked goods, not yet its row or its refund. */
export type Admission = {
  id: string
  number: number
  order: OrderView
  currency: Currency
  lines: (PlannedLine & { value: number })[]
  value: number
  location: string | null
  byPost: boolean
}

async function orderOf(tx: ReturnsTx, request: ReturnRequest): Promise<OrderView> {
  if (request.orderId) return getOrder(crossModule(tx), request.orderId)
  try {
    return await trackOrder(crossModule(tx), request.orderNumber!, request.contact!)
  } catch (err) {
    // The tracker names its query parameter; here the contact is a body field.
    if (err instanceof DomainError && err.kind === 'validation-failed')
      throw validationFailed([{ path: 'contact', message: 'is neither an email nor a phone' }])
    throw err
  }
}

export async function receivingStore(tx: ReturnsTx, code: string | undefined) {
  if (!code) return null
  try {
    const location = await getLocation(crossModule(tx), code)
    return { code: location.code, acceptReturns: location.capabilities.acceptReturns }
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'not-found')
      throw validationFailed([{ path: 'location', message: `no location ${code}` }])
    throw err
  }
}

// A gift card or store credit is spent when the order is placed; other methods when captured.
function isTaken(payment: PaymentView) {
  const taken = ['captured', 'partially_refunded', 'refunded']
  if (payment.method === 'store_credit')
    return payment.status === 'authorized' || taken.includes(payment.status)
  return taken.includes(payment.status)
}

async function returnedSoFar(tx: ReturnsTx, orderId: string, skus: readonly string[]) {
  const rows = await tx
    .selectFrom('returns.returned_quantity')
    .select(['sku', 'quantity'])
    .where('order_id', '=', orderId)
    .where('sku', 'in', [...skus])
    .execute()
  return new Map(rows.map((r) => [r.sku, r.quantity]))
}

/**
 * Counts the units as returned, all lines or none. The rule is the UPDATE's WHERE (returned +
 * asked ≤ handed over): two desks returning the last unit of a line at once queue on the row
 * lock, and the second re-checks against what the first left, matching nothing. The rows are
 * created first (ON CONFLICT DO NOTHING waits for a concurrent creator) so the UPDATE always
 * has a row to lock. Answers the returned count of each SKU after this return.
 */
async function countReturned(
  tx: ReturnsTx,
  orderId: string,
  lines: readonly PlannedLine[],
  field: string,
): Promise<Map<string, number>> {
  const skus = lines.map((l) => l.sku)
  await sql`
    insert into returns.returned_quantity (order_id, sku, quantity)
    select ${orderId}, sku, 0 from unnest(${skus}::text[]) as v(sku)
    order by sku
    on conflict do nothing`.execute(tx)
  const counted = await sql<{ sku: string; quantity: number }>`
    update returns.returned_quantity r set quantity = r.quantity + v.qty
    from unnest(${skus}::text[], ${lines.map((l) => l.quantity)}::int[],
                ${lines.map((l) => l.handedOver)}::int[]) as v(sku, qty, ceiling)
    where r.order_id = ${orderId} and r.sku = v.sku and r.quantity + v.qty <= v.ceiling
    returning r.sku, r.quantity`.execute(tx)
  const after = new Map(counted.rows.map((r) => [r.sku, Number(r.quantity)]))
  if (after.size === lines.length) return after
  const now = await returnedSoFar(tx, orderId, skus)
  const leftOf = (l: PlannedLine) => Math.max(0, l.handedOver - (now.get(l.sku) ?? 0))
  const refusals: Refusal[] = lines.flatMap((l, i) =>
    after.has(l.sku)
      ? []
      : [
          {
            path: `${field}.${i}.quantity`,
            reason: 'exceeds-returnable' as const,
            message: `at most ${leftOf(l)} of ${l.sku} can still be returned`,
          },
        ],
  )
  throw returnNotAllowed(refusals)
}

/**
 * Refuses a return worth more than the order's payment has left to pay out (`already-refunded`
 * at `path`): what the payment has refunded (returns to the original payment, refunds staff made
 * directly), what earlier returns paid outside it (store credit, value spent on a replacement)
 * and what by-post returns on their way will be owed come off what was paid, so a refund made
 * at the payments desk is never paid a second time by a return. Returns of the order run one at
 * a time (`admitReturn`).
 */
async function assertPaymentCovers(
  tx: ReturnsTx,
  order: OrderView,
  payment: PaymentView,
  value: number,
  path: string,
) {
  if (value === 0) return
  const outside = await tx
    .selectFrom('returns.return')
    .select(
      sql<string>`coalesce(sum(case
                    when refund_method = 'store_credit' or refund_status = 'awaiting_goods'
                    then refund_minor else 0 end
                  + exchange_applied_minor), 0)`.as('minor'),
    )
    .where('order_id', '=', order.id)
    .executeTakeFirstOrThrow()
  const left = Math.max(0, payment.amount.amount - payment.refunded.amount - Number(outside.minor))
  if (value <= left) return
  const currency = payment.amount.currency
  throw returnNotAllowed([
    {
      path,
      reason: 'already-refunded',
      message:
        `order ${order.number} has ${left} (${currency} minor units) left to refund, ` +
        `and these goods were paid ${value}: part of the payment was refunded already`,
    },
  ])
}

/** A returned line as it is put away. */
export type PutAwayLine = {
  sku: string
  quantity: number
  reason: string
  disposition: 'restocked' | 'quarantined'
  location: string
}

/**
 * Puts returned units where their lines say: back into stock, or into quarantine behind a
 * safety stock that nothing can be sold past (`return` ledger entries referencing the return).
 * Problems point at `<field>.N.sku` or `location`.
 */
export async function putAway(
  tx: ReturnsTx,
  clock: Clock,
  actor: string,
  ret: { id: string; number: number },
  lines: readonly PutAwayLine[],
  field: string,
) {
  const at = (i: number, f: 'sku' | 'location') => (f === 'sku' ? `${field}.${i}.sku` : 'location')
  const quarantined = lines.filter((l) => l.disposition === 'quarantined')
  // Safety stock above anything on hand keeps quarantined units out of every reservation, even
  // a pick-up someone might point at the quarantine location. Set before the units arrive, so
  // no back-in-stock fact is published for them.
  if (quarantined.length > 0)
    await setStockSettings(
      crossModule(tx),
      clock,
      quarantined.map((l) => ({ sku: l.sku, location: l.location, safetyStock: neverSold })),
      (i, f) => at(lines.indexOf(quarantined[i]!), f),
    )
  await recordMovements(
    crossModule(tx),
    clock,
    actor,
    lines.map((l) => ({
      sku: l.sku,
      location: l.location,
      kind: 'return' as const,
      quantity: l.quantity,
      reason: `return ${ret.number}: ${l.reason}`.slice(0, 500),
      reference: ret.id,
    })),
    at,
  )
}

/**
 * Admits a return in the caller's transaction: finds the order (by id, or by number and the
 * contact it was placed with: `not-found` for any mismatch), checks the policy (`planReturn`;
 * `return-not-allowed` with every refusal at its path), counts the units as returned under
 * the guard, checks the payment still covers their value (`assertPaymentCovers`), takes a
 * number from `returns.return_number`, and puts the goods away (`putAway`) unless they come by
 * post, when that waits for `receiveReturn`. Answers what each line was paid.
 */
export async function admitReturn(
  tx: ReturnsTx,
  clock: Clock,
  origin: ReturnOrigin,
  request: ReturnRequest,
): Promise<Admission> {
  const order = await orderOf(tx, request)
  // One return of an order at a time: each checks what the payment has left to pay out against
  // what the others took, which a return of another SKU at the next desk would change.
  const lock = `returns.order:${order.id}`
  await sql`select pg_advisory_xact_lock(hashtextextended(${lock}, 0))`.execute(tx)
  const skus = request.lines.map((l) => l.sku)
  const policy = await getReturnPolicy(tx)
  const location = await receivingStore(tx, request.location)
  const where = location ? `at ${location.code}` : 'by post'
  keepToOwnLocation(origin.store, location?.code ?? null, `The goods come back ${where}`)
  const categories = await categoriesBySku(crossModule(tx), skus)
  const returned = await returnedSoFar(tx, order.id, skus)
  const payment = await getPayment(crossModule(tx), order.payment.id)
  const plan = planReturn({
    order,
    policy,
    lines: request.lines,
    field: request.field,
    byId: request.orderId !== undefined,
    paid: isTaken(payment),
    channelKind: origin.staff || origin.channelKind === null ? null : origin.channelKind,
    location,
    categories,
    returned,
    now: clock.now(),
  })
  if (plan.refusals.length > 0) throw returnNotAllowed(plan.refusals)
  const after = await countReturned(tx, order.id, plan.lines, request.field)
  const lines = plan.lines.map((l) => ({
    ...l,
    value: valueOfUnits(order, l.sku, after.get(l.sku)! - l.quantity, l.quantity),
  }))
  const value = lines.reduce((n, l) => n + l.value, 0)
  await assertPaymentCovers(tx, order, payment, value, request.orderId ? 'orderId' : 'orderNumber')
  const id = newId('ret')
  const { rows } = await sql<{ n: string }>`
    select nextval('returns.return_number')::int8 as n`.execute(tx)
  const number = Number(rows[0]!.n)
  if (!request.byPost) await putAway(tx, clock, origin.actor, { id, number }, lines, request.field)
  return {
    id,
    number,
    order,
    currency: order.totals.currency,
    lines,
    value,
    location: request.location ?? (request.byPost ? policy.postLocation : null),
    byPost: request.byPost === true,
  }
}

/**
 * Takes a return in the caller's transaction, everything or nothing: admitted and restocked
 * (`admitReturn`), refunded as `routeRefund` decides, recorded with its events. A card refund
 * is left `pending` for `completeCardRefund` after commit. A by-post return is only announced
 * (`awaiting_goods`): `receiveReturn` restocks and refunds it. Throws `return-not-allowed`,
 * `forbidden` (a key of one location receiving at another, or by post),
 * `not-found`, `validation-failed`.
 */
export async function createReturn(
  tx: ReturnsTx,
  clock: Clock,
  provider: PaymentProvider,
  origin: ReturnOrigin,
  body: CreateReturnBody,
): Promise<ReturnView> {
  const admission = await admitReturn(tx, clock, origin, { ...body, field: 'lines' })
  const refund = admission.byPost
    ? awaitingGoods
    : await routeRefund(tx, clock, provider, {
        order: admission.order,
        amount: admission.value,
        currency: admission.currency,
        byPost: false,
        wanted: body.refund,
        channel: origin.channel,
        returnId: admission.id,
      })
  return recordReturn(tx, clock, origin, admission, {
    ...refund,
    amount: admission.value,
    wanted: body.refund,
  })
}
