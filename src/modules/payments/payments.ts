import { createHash } from 'node:crypto'
import { sql, type Insertable, type Kysely } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, statement, writeAtCommit, type Tx } from '../../kernel/db/index.js'
import { DomainError } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { Money } from '../../kernel/money.js'
import type { PaymentEventTable, PaymentRow, PaymentsTables, PaymentTable } from './db.js'
import {
  authorizeOperation,
  captureOperation,
  runInTransaction,
  type CardChoice,
} from './operations.js'
import { refundOperation, voidOperation } from './reversals.js'
import type { CardDetails, PaymentProvider } from './port.js'
import { announce, paymentEvents, recordHistory, toView } from './records.js'
import type { PaymentView } from './schema.js'
import type { PaymentMethod } from './states.js'
import { spendStoredValue } from './stored-value.js'

export type AuthorizeInput = {
  reference: string
  method: PaymentMethod
  amount: Money
  card?: CardDetails | undefined
  token?: string | undefined
  storedValueCode?: string | undefined
  customerId?: string | undefined
}

/** Who asks and how to recognise a retry: the key id and its Idempotency-Key, if any. */
export type PaymentOrigin = {
  channel: string | null
  id?: string
  ownerKey?: string
  requestKey?: string
  /**
   * The request key was made for this call (an order id just generated): no payment can hold it
   * yet, so no earlier attempt is looked for, and the payment is written with the transaction's
   * last statement (nothing reads it before the commit).
   */
  freshKey?: boolean
}

// Card data stays out of the stored hash (PCI DSS: no security code, no full number after
// authorization), so a retry is recognised by the rest of the request and the card's last digits.
function requestHash(input: AuthorizeInput): string {
  const { card, ...rest } = input
  const safe = card
    ? {
        ...rest,
        card: { last4: card.number.slice(-4), expMonth: card.expMonth, expYear: card.expYear },
      }
    : rest
  return createHash('sha256').update(JSON.stringify(safe)).digest('hex')
}

const insertPayment = statement(
  (db: Kysely<PaymentsTables>, p: { values: Insertable<PaymentTable> }) =>
    db.insertInto('payments.payment').values(p.values),
)

const insertHistory = statement(
  (db: Kysely<PaymentsTables>, p: { values: Insertable<PaymentEventTable> }) =>
    db.insertInto('payments.payment_event').values(p.values),
)

/**
 * Records a payment before anything moves money: card, cash on delivery and pay in store start
 * `pending`; store credit is spent at once (a guarded UPDATE, see `spendStoredValue`) and starts
 * `authorized` with `payment.authorized`, as does a card payment of nothing. With
 * `origin.requestKey`, a retry of the same request finds the payment recorded first (the unique
 * index on key and caller decides a race), and the same key with another request is
 * `idempotency-key-reused`. The card number is never stored.
 */
export async function recordPayment(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  provider: PaymentProvider,
  input: AuthorizeInput,
  origin: PaymentOrigin,
): Promise<{ row: PaymentRow; replayed: boolean }> {
  const hash = requestHash(input)
  const now = clock.now()
  const id = origin.id ?? newId('pay')
  // Nothing to charge (discounts cover the order and shipping is free): no card is sent to the
  // provider and no stored value is spent; the payment stands authorized for nothing.
  const nothing = input.amount.amount === 0
  const spends = input.method === 'store_credit' && !nothing
  const settled = input.method === 'store_credit' || (nothing && input.method === 'card')
  if (spends) {
    const existing = origin.requestKey && !origin.freshKey ? await findByRequestKey(tx, origin, hash) : undefined
    if (existing) return { row: existing, replayed: true }
    await spendStoredValue(tx, clock, input.storedValueCode!, input.amount, {
      reference: id,
      channel: origin.channel,
    })
  }
  const values = {
    id,
    reference: input.reference,
    method: input.method,
    currency: input.amount.currency,
    amount_minor: input.amount.amount,
    status: settled ? ('authorized' as const) : ('pending' as const),
    provider: input.method === 'card' && !nothing ? provider.name : null,
    provider_payment_id: null,
    card_last4: input.card ? input.card.number.slice(-4) : null,
    stored_value_code: input.storedValueCode ?? null,
    failure_code: null,
    decline_code: null,
    customer_id: input.customerId ?? null,
    channel: origin.channel,
    owner_key: origin.requestKey ? (origin.ownerKey ?? null) : null,
    request_key: origin.requestKey ?? null,
    request_hash: origin.requestKey ? hash : null,
    created_at: now,
    updated_at: now,
  }
  let row: PaymentRow | undefined
  if (origin.freshKey) {
    row = { ...values, refunded_minor: 0 }
    const first = {
      payment_id: id,
      kind: row.status,
      status: row.status,
      amount_minor: row.amount_minor,
      detail: '{}',
      at: now,
    }
    await writeAtCommit(crossModule(tx), `payment:${id}`, [
      insertPayment.compile({ values }),
      insertHistory.compile({ values: first }),
    ])
  } else {
    // The payment and the first entry of its history in one statement; with a request key, the
    // unique index decides a race between retries and only the first records the payment.
    row = await tx
      .with('created', (db) =>
        db
          .insertInto('payments.payment')
          .values(values)
          .onConflict((oc) => oc.columns(['owner_key', 'request_key']).doNothing())
          .returningAll(),
      )
      .with('history', (db) =>
        db
          .insertInto('payments.payment_event')
          .columns(['payment_id', 'kind', 'status', 'amount_minor', 'detail', 'at'])
          .expression((eb) =>
            eb
              .selectFrom('created')
              .select((_eb) => [
                'id',
                'status as kind',
                'status',
                'amount_minor',
                sql<unknown>`'{}'::jsonb`.as('detail'),
                sql<Date>`${now}::timestamptz`.as('at'),
              ]),
          ),
      )
      .selectFrom('created')
      .selectAll()
      .executeTakeFirst()
    if (!row) return { row: (await findByRequestKey(tx, origin, hash))!, replayed: true }
  }
  if (settled) await announce(tx, clock, row, row.amount_minor, paymentEvents.authorized)
  return { row, replayed: false }
}

async function findByRequestKey(tx: Tx<PaymentsTables>, origin: PaymentOrigin, hash: string) {
  const row = await tx
    .selectFrom('payments.payment')
    .selectAll()
    .where('owner_key', '=', origin.ownerKey ?? null)
    .where('request_key', '=', origin.requestKey!)
    .executeTakeFirst()
  if (row && row.request_hash !== hash) {
    throw new DomainError(
      'idempotency-key-reused',
      `Idempotency-Key ${origin.requestKey} was used with another request`,
    )
  }
  return row
}

/**
 * Records and authorizes a payment in the caller's transaction. A card is authorized with the
 * provider (key `<paymentId>:authorize`, so the caller's retry with the same `origin.id` gets
 * the provider's first answer); a decline comes back as a `failed` payment carrying the
 * issuer's codes (`declineOf(view)` makes it a `payment-declined` problem), with
 * `payment.failed`. Cash on delivery and pay in store stay `pending` until captured.
 */
export async function authorizePayment(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  provider: PaymentProvider,
  input: AuthorizeInput,
  origin: PaymentOrigin = { channel: null },
): Promise<PaymentView> {
  const { row } = await recordPayment(tx, clock, provider, input, origin)
  const card: CardChoice = { card: input.card, token: input.token }
  return runInTransaction(tx, authorizeOperation(clock, provider, row, card))
}

/** Captures in the caller's transaction; see `captureOperation` for the contract. */
export function capturePayment(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  provider: PaymentProvider,
  id: string,
) {
  return runInTransaction(tx, captureOperation(clock, provider, id))
}

/**
 * Refunds `amount` (default: the rest), to the original method or to the `storeCredit` account,
 * in the caller's transaction; see `refundOperation`.
 */
export function refundPayment(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  provider: PaymentProvider,
  id: string,
  amount?: number,
  storeCredit?: string,
) {
  return runInTransaction(tx, refundOperation(clock, provider, id, amount, storeCredit))
}

/** Voids an authorization (or a pending cash payment) in the caller's transaction. */
export function voidPayment(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  provider: PaymentProvider,
  id: string,
) {
  return runInTransaction(tx, voidOperation(clock, provider, id))
}

export { toView }
