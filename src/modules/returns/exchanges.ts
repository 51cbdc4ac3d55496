import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { DomainError, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { Currency, Money } from '../../kernel/money.js'
import { placeOrder, type OrderView } from '../orders/index.js'
import {
  authorizePayment,
  capturePayment,
  creditStoredValue,
  declineOf,
  type PaymentProvider,
} from '../payments/index.js'
import { effectivePrices } from '../pricing/index.js'
import { variantsBySku } from '../catalog/index.js'
import { evaluate, withAllowances } from '../promotions/index.js'
import type { ReturnsTables } from './db.js'
import { returnNotAllowed } from './errors.js'
import { awaitingGoods, issueStoreCredit, routeRefund } from './refunds.js'
import { likeForLikeAllowances } from './like-for-like.js'
import { recordReturn } from './records.js'
import { admitReturn, type Admission, type ReturnOrigin } from './returns.js'
import type { CreateExchangeBody, ExchangePayment, ExchangeView } from './schema.js'

type ReturnsTx = Tx<ReturnsTables>

/** Money taken from a card during an exchange, to give back if the exchange does not commit. */
export type Charge = {
  paymentId: string
  providerPaymentId: string
  amount: Money
  captured: boolean
}

/**
 * What the replacement lines cost the customer on the caller's channel: the one price book,
 * then the automatic promotions, as placement prices them, then what makes an exchange within
 * one product even (`likeForLikeAllowances`), which placement is given too. A line with no
 * price in the order's currency is `validation-failed` at `newLines.N.sku`.
 */
async function replacementCost(
  tx: ReturnsTx,
  clock: Clock,
  channel: string | null,
  admission: Admission,
  lines: CreateExchangeBody['newLines'],
) {
  const { order, currency } = admission
  const skus = [...lines.map((l) => l.sku), ...admission.lines.map((l) => l.sku)]
  const [prices, variants] = await Promise.all([
    effectivePrices(crossModule(tx), skus, channel, currency),
    variantsBySku(crossModule(tx), skus, null),
  ])
  const unit = new Map(prices.map((p) => [p.sku, p.amount]))
  const missing = lines.flatMap((l, i) =>
    unit.has(l.sku)
      ? []
      : [{ path: `newLines.${i}.sku`, message: `${l.sku} has no price in ${currency}` }],
  )
  if (missing.length > 0) throw validationFailed(missing)
  const plan = await evaluate(crossModule(tx), clock, {
    lines: lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: { amount: unit.get(l.sku)!, currency },
    })),
    currency,
    customerId: order.customerId,
    channel,
    coupon: null,
  })
  const productOf = (sku: string) => variants.get(sku)?.productId ?? null
  const allowances = likeForLikeAllowances(
    admission.lines.map((r) => ({
      quantity: r.quantity,
      value: r.value,
      productId: productOf(r.sku),
      priceNow: unit.get(r.sku) ?? null,
    })),
    lines.map((l, i) => ({
      quantity: l.quantity,
      productId: productOf(l.sku),
      priceNow: unit.get(l.sku)!,
      cost: plan.lines[i]!.lineTotal - plan.lines[i]!.discount,
    })),
  )
  return { total: withAllowances(plan, allowances).total, allowances }
}

function replacementFulfillment(body: CreateExchangeBody, order: OrderView) {
  if (body.location) return { method: 'pickup' as const, location: body.location }
  const address = body.address ?? order.fulfillment.address
  if (!address)
    throw validationFailed([{ path: 'address', message: 'the order has no address to ship to' }])
  return { method: 'ship' as const, address }
}

/**
 * Takes the difference with the payment given: authorised (a card with the provider, in the
 * transaction; a decline is `payment-declined`) and captured at once, since the customer
 * leaves with the goods. Runs last, after every rule has passed, so a refusal seldom follows a
 * charge; `charges` lists what to give back if the transaction still rolls back.
 */
async function payDifference(
  tx: ReturnsTx,
  clock: Clock,
  provider: PaymentProvider,
  input: { id: string; reference: string; amount: Money; payment: ExchangePayment },
  customerId: string,
  channel: string | null,
  charges: Charge[],
) {
  const authorized = await authorizePayment(
    crossModule(tx),
    clock,
    provider,
    {
      reference: input.reference,
      method: input.payment.method,
      amount: input.amount,
      card: input.payment.card,
      storedValueCode: input.payment.code,
      customerId,
    },
    { channel, id: input.id },
  )
  if (authorized.status === 'failed') throw declineOf(authorized)
  const charge = authorized.providerPaymentId
    ? {
        paymentId: authorized.id,
        providerPaymentId: authorized.providerPaymentId,
        amount: input.amount,
        captured: false,
      }
    : null
  if (charge) charges.push(charge)
  try {
    await capturePayment(crossModule(tx), clock, provider, authorized.id)
  } catch (err) {
    // Refused at capture: the issuer holds nothing any more, so there is nothing to give back.
    if (charge && err instanceof DomainError && err.kind === 'payment-declined')
      charges.splice(charges.indexOf(charge), 1)
    throw err
  }
  if (charge) charge.captured = true
}

/**
 * An exchange as one transaction: the return is admitted and restocked, its value goes into a
 * store credit account for the customer, the replacement order is placed through
 * `placeOrder` (collected at the receiving store, or shipped for a by-post exchange) and paid
 * from that account. A replacement costing more needs `payment` (`return-not-allowed` at
 * `payment` otherwise), which tops the account up; one costing less leaves the difference to
 * be refunded to the original payment as a return would. Everything commits together or not
 * at all: stock short for the replacement is `insufficient-stock`, and nothing is returned.
 * By post, the replacement is sent at once and the returned goods (and any difference owed)
 * wait for the parcel, as a by-post return's do.
 */
export async function createExchange(
  tx: ReturnsTx,
  clock: Clock,
  provider: PaymentProvider,
  origin: ReturnOrigin,
  body: CreateExchangeBody,
  charges: Charge[],
): Promise<ExchangeView> {
  const admission = await admitReturn(tx, clock, origin, {
    ...body,
    lines: body.returnLines,
    field: 'returnLines',
  })
  const { order, currency } = admission
  const { total: cost, allowances } = await replacementCost(
    tx,
    clock,
    origin.channel,
    admission,
    body.newLines,
  )
  const applied = Math.min(admission.value, cost)
  const extra = cost - applied
  if (extra > 0 && !body.payment)
    throw returnNotAllowed([
      {
        path: 'payment',
        reason: 'payment-required',
        message: `the replacement costs ${extra} (${currency} minor units) more than the returns`,
      },
    ])
  const money = (amount: number) => ({ amount, currency: currency as Currency })
  const code = await issueStoreCredit(tx, clock, order.customerId, money(applied), origin.channel)
  const extraPaymentId = extra > 0 ? newId('pay') : null
  if (extraPaymentId)
    await creditStoredValue(crossModule(tx), clock, code, money(extra), {
      reason: 'top_up',
      reference: extraPaymentId,
      channel: origin.channel,
    })
  const replacement = await placeOrder(
    crossModule(tx),
    clock,
    provider,
    origin,
    {
      customer: { id: order.customerId },
      lines: body.newLines,
      fulfillment: replacementFulfillment(body, order),
      currency,
      payment: { method: 'store_credit', code },
    },
    allowances,
  )
  if (extraPaymentId)
    await payDifference(
      tx,
      clock,
      provider,
      { id: extraPaymentId, reference: admission.id, amount: money(extra), payment: body.payment! },
      order.customerId,
      origin.channel,
      charges,
    )
  return {
    return: await settleReturn(tx, clock, provider, origin, admission, {
      orderId: replacement.id,
      applied,
      creditCode: code,
      extraPaymentId,
    }),
    order: replacement,
  }
}

async function settleReturn(
  tx: ReturnsTx,
  clock: Clock,
  provider: PaymentProvider,
  origin: ReturnOrigin,
  admission: Admission,
  exchange: { orderId: string; applied: number; creditCode: string; extraPaymentId: string | null },
) {
  const amount = admission.value - exchange.applied
  // By post, the replacement leaves now; the returned goods and any difference owed wait for
  // the parcel (`receiveReturn`).
  const refund = admission.byPost
    ? awaitingGoods
    : await routeRefund(tx, clock, provider, {
        order: admission.order,
        amount,
        currency: admission.currency,
        byPost: false,
        wanted: 'original',
        channel: origin.channel,
        returnId: admission.id,
      })
  return recordReturn(
    tx,
    clock,
    origin,
    admission,
    { ...refund, amount, wanted: 'original' },
    exchange,
  )
}

/**
 * Gives back card money an exchange took when its transaction did not commit: a capture is
 * refunded, an authorisation voided, each under a key derived from the payment so a repeat
 * does nothing twice. Answers the charges that could not be given back, for the log.
 */
export async function undoCharges(provider: PaymentProvider, charges: readonly Charge[]) {
  const failed: { charge: Charge; error: unknown }[] = []
  for (const charge of charges) {
    try {
      const outcome = charge.captured
        ? await provider.refund({
            providerPaymentId: charge.providerPaymentId,
            amount: charge.amount,
            idempotencyKey: `${charge.paymentId}:refund:undo`,
          })
        : await provider.void({
            providerPaymentId: charge.providerPaymentId,
            idempotencyKey: `${charge.paymentId}:void`,
          })
      if (!outcome.ok) failed.push({ charge, error: outcome })
    } catch (error) {
      failed.push({ charge, error })
    }
  }
  return failed
}
