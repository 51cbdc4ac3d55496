import { sql } from 'kysely'
import { keepToOwnLocation } from '../../kernel/auth/index.js'
import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { illegalTransition, notFound, validationFailed } from '../../kernel/errors.js'
import { getOrder } from '../orders/index.js'
import type { PaymentProvider } from '../payments/index.js'
import type { ReturnsTables } from './db.js'
import { returnNotAllowed } from './errors.js'
import { received } from './events.js'
import { getReturnPolicy } from './policy.js'
import { getReturn, returnViews } from './queries.js'
import { markRefunded, routeRefund } from './refunds.js'
import { putAway, receivingStore, type ReturnOrigin } from './returns.js'
import { destinationOf, shippedFrom } from './rules.js'
import type { ReceiveReturnBody, ReturnView } from './schema.js'

type ReturnsTx = Tx<ReturnsTables>

/**
 * Receives a by-post return's parcel in the caller's transaction, everything or nothing: the
 * return's row is locked (a second receipt is `illegal-transition`), each line goes where its
 * condition says (`destinationOf`: a condition found on unpacking may send it to quarantine;
 * the receiving location, else the policy's post location, else where it shipped from), the
 * units are put away (`putAway`), and the money owed is refunded as `routeRefund` decides for
 * goods that came by post, as the customer asked (a card refund left `pending` for after
 * commit). Appends `return.received`, then `return.refunded` when no provider was needed. What
 * the units were worth was fixed when the return was announced. A key of one location receives
 * only at that location (`forbidden`); the location must accept returns.
 */
export async function receiveReturn(
  tx: ReturnsTx,
  clock: Clock,
  provider: PaymentProvider,
  origin: ReturnOrigin,
  id: string,
  body: ReceiveReturnBody,
): Promise<ReturnView> {
  const row = await tx
    .selectFrom('returns.return')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  if (!row) throw notFound('return', id)
  if (row.received_at) throw illegalTransition('return', 'received', 'received', [])
  const location = await receivingStore(tx, body.location ?? origin.store ?? undefined)
  keepToOwnLocation(origin.store, location?.code ?? null, `The parcel is at ${location?.code}`)
  if (location && !location.acceptReturns)
    throw returnNotAllowed([
      {
        path: 'location',
        reason: 'location-not-accepting-returns',
        message: `${location.code} does not accept returns`,
      },
    ])
  const lines = await tx
    .selectFrom('returns.return_line')
    .selectAll()
    .where('return_id', '=', id)
    .orderBy('seq')
    .execute()
  const found = body.lines ?? []
  const strangers = found.flatMap((l, i) =>
    lines.some((r) => r.sku === l.sku)
      ? []
      : [{ path: `lines.${i}.sku`, message: `${l.sku} is not in return ${row.number}` }],
  )
  if (strangers.length > 0) throw validationFailed(strangers)
  const policy = await getReturnPolicy(tx)
  const order = await getOrder(crossModule(tx), row.order_id)
  const from = shippedFrom(order)
  const arrived = lines.map((l) => {
    const condition = found.find((f) => f.sku === l.sku)?.condition ?? l.condition
    const place = destinationOf(
      policy,
      condition,
      location?.code ?? null,
      from.get(l.sku) ?? l.location,
    )
    return { ...l, condition, ...place }
  })
  await sql`
    update returns.return_line r
    set condition = v.condition, disposition = v.disposition, location = v.location
    from unnest(
        ${arrived.map((l) => l.seq)}::int[],
        ${arrived.map((l) => l.condition)}::text[],
        ${arrived.map((l) => l.disposition)}::text[],
        ${arrived.map((l) => l.location)}::text[]
      ) as v(seq, condition, disposition, location)
    where r.return_id = ${id} and r.seq = v.seq`.execute(tx)
  await putAway(tx, clock, origin.actor, row, arrived, 'lines')
  const refund = await routeRefund(tx, clock, provider, {
    order,
    amount: row.refund_minor,
    currency: row.currency,
    byPost: true,
    wanted: row.refund_wanted,
    channel: row.channel,
    returnId: row.id,
  })
  const now = clock.now()
  const updated = await tx
    .updateTable('returns.return')
    .set({
      received_at: now,
      location: location?.code ?? row.location,
      refund_method: refund.method,
      // Settled below with its event, as a return taken at a desk is.
      refund_status: 'pending',
      refund_payment_id: refund.paymentId,
      store_credit_code: refund.storeCreditCode,
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  const [view] = await returnViews(tx, [updated])
  await received(tx, clock, view!)
  if (refund.status !== 'refunded') return view!
  await markRefunded(tx, clock, updated)
  return getReturn(tx, id)
}
