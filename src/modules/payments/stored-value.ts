import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Clock } from '../../kernel/clock.js'
import type { Tx } from '../../kernel/db/index.js'
import { alreadyExists, notFound, validationFailed } from '../../kernel/errors.js'
import { newId } from '../../kernel/ids.js'
import type { Money } from '../../kernel/money.js'
import type { PaymentsTables, StoredValueAccountRow, StoredValueEntryTable } from './db.js'
import { paymentDeclined } from './errors.js'
import type { IssueStoredValueBody, StoredValueView } from './schema.js'

export function toStoredValueView(row: StoredValueAccountRow): StoredValueView {
  return {
    code: row.code,
    kind: row.kind,
    balance: { amount: row.balance_minor, currency: row.currency },
    customerId: row.customer_id,
    createdAt: row.created_at.toISOString(),
  }
}

type Movement = {
  reason: StoredValueEntryTable['reason']
  reference?: string | null
  channel?: string | null
}

async function appendEntry(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  accountId: string,
  amount: number,
  movement: Movement,
) {
  await tx
    .insertInto('payments.stored_value_entry')
    .values({
      account_id: accountId,
      amount_minor: amount,
      reason: movement.reason,
      reference: movement.reference ?? null,
      channel: movement.channel ?? null,
      at: clock.now(),
    })
    .execute()
}

// Crockford base32 without look-alike letters: read aloud at a till or typed from a printed card.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

function generatedCode(): string {
  let bits = BigInt(`0x${randomBytes(10).toString('hex')}`)
  let code = ''
  for (let i = 0; i < 16; i++, bits >>= 5n) code += alphabet[Number(bits & 31n)]
  return code
}

/**
 * Issues a gift card or a store credit account with its opening balance as the first ledger
 * entry. A taken code is `already-exists`; a generated code is 16 unambiguous characters.
 */
export async function issueStoredValue(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  input: IssueStoredValueBody,
  channel: string | null = null,
) {
  const code = input.code ?? generatedCode()
  const row = await tx
    .insertInto('payments.stored_value_account')
    .values({
      id: newId('sva'),
      code,
      kind: input.kind,
      currency: input.amount.currency,
      balance_minor: input.amount.amount,
      customer_id: input.customerId ?? null,
      created_at: clock.now(),
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!row) throw alreadyExists('stored value account', 'code', code)
  await appendEntry(tx, clock, row.id, input.amount.amount, { reason: 'issue', channel })
  return toStoredValueView(row)
}

export async function findStoredValue(
  tx: Tx<PaymentsTables>,
  code: string,
): Promise<StoredValueAccountRow> {
  const row = await tx
    .selectFrom('payments.stored_value_account')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst()
  if (!row) throw notFound('stored value account', code)
  return row
}

/**
 * Adds money to an account (a top-up, or a refund going back to store credit) and its ledger
 * entry in the same transaction. The currency must be the account's (`validation-failed` at
 * `amount.currency`); an unknown code is `not-found`.
 */
export async function creditStoredValue(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  code: string,
  amount: Money,
  movement: Movement,
) {
  const row = await tx
    .updateTable('payments.stored_value_account')
    .set({ balance_minor: sql`balance_minor + ${amount.amount}` })
    .where('code', '=', code)
    .where('currency', '=', amount.currency)
    .returningAll()
    .executeTakeFirst()
  if (!row) {
    const account = await findStoredValue(tx, code)
    throw validationFailed([
      { path: 'amount.currency', message: `the account holds ${account.currency}` },
    ])
  }
  await appendEntry(tx, clock, row.id, amount.amount, movement)
  return toStoredValueView(row)
}

/**
 * Spends from an account. The rule is the UPDATE's WHERE (`balance_minor >= amount`): two
 * channels spending the same card at once queue on the row lock, and the second re-checks the
 * rule against the balance the first left, so a balance is never spent twice. A short balance
 * is `payment-declined` with code `insufficient_funds`; nothing is written.
 */
export async function spendStoredValue(
  tx: Tx<PaymentsTables>,
  clock: Clock,
  code: string,
  amount: Money,
  movement: Omit<Movement, 'reason'>,
) {
  const row = await tx
    .updateTable('payments.stored_value_account')
    .set({ balance_minor: sql`balance_minor - ${amount.amount}` })
    .where('code', '=', code)
    .where('currency', '=', amount.currency)
    .where('balance_minor', '>=', amount.amount)
    .returningAll()
    .executeTakeFirst()
  if (!row) {
    const account = await findStoredValue(tx, code)
    if (account.currency !== amount.currency) {
      throw validationFailed([
        { path: 'amount.currency', message: `the account holds ${account.currency}` },
      ])
    }
    throw paymentDeclined(
      `The ${account.kind.replace('_', ' ')} ${code} does not cover ${amount.amount} ${amount.currency}`,
      {
        code: 'insufficient_funds',
        declineCode: 'insufficient_funds',
      },
    )
  }
  await appendEntry(tx, clock, row.id, -amount.amount, { ...movement, reason: 'spend' })
  return toStoredValueView(row)
}

/** The ledger sum of an account; equal to its balance by construction (tests check it). */
export async function ledgerSum(tx: Tx<PaymentsTables>, code: string): Promise<number> {
  const row = await tx
    .selectFrom('payments.stored_value_entry as e')
    .innerJoin('payments.stored_value_account as a', 'a.id', 'e.account_id')
    .select(sql<string>`coalesce(sum(e.amount_minor), 0)`.as('total'))
    .where('a.code', '=', code)
    .executeTakeFirstOrThrow()
  return Number(row.total)
}
