import { z } from 'zod'

/** ISO 4217 currencies Omnia prices in, with their real minor-unit exponents. */
export const currencies = {
  EUR: { exponent: 2 },
  USD: { exponent: 2 },
  GBP: { exponent: 2 },
  CHF: { exponent: 2 },
  SEK: { exponent: 2 },
  TRY: { exponent: 2 },
  AED: { exponent: 2 },
  IRR: { exponent: 0 },
  JPY: { exponent: 0 },
  KWD: { exponent: 3 },
} as const satisfies Record<string, { exponent: number }>

export type Currency = keyof typeof currencies
export const currencyCodes = Object.keys(currencies) as [Currency, ...Currency[]]
export const CurrencyCode = z.enum(currencyCodes).meta({ id: 'Currency' })

/** Money in the currency's minor unit (cents for EUR, rials for IRR). Never a float. */
export const Money = z
  .strictObject({
    amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    currency: CurrencyCode,
  })
  .meta({ id: 'Money' })
export type Money = z.infer<typeof Money>

/** Reads a bigint column (which node-postgres returns as a string) as a safe integer. */
export function toSafeInteger(value: string | number | bigint): number {
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isSafeInteger(n)) throw new RangeError(`${String(value)} is not a safe integer`)
  return n
}

/**
 * Formats for people: `12,500,000 IRR` with thousands separators, `19.90 EUR`. Uses integer
 * arithmetic so no float ever touches the amount.
 */
export function formatMoney({ amount, currency }: Money, locale = 'en'): string {
  const exponent = currencies[currency].exponent
  const base = 10n ** BigInt(exponent)
  const value = BigInt(amount)
  const whole = new Intl.NumberFormat(locale, { useGrouping: true }).format(value / base)
  if (exponent === 0) return `${whole} ${currency}`
  const fraction = (value % base).toString().padStart(exponent, '0')
  const separator = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')
  return `${whole}${separator?.value ?? '.'}${fraction} ${currency}`
}

/**
 * Splits `amount` (integer minor units) over `weights` in proportion, exactly: the parts sum to
 * `amount`, none is negative, and each lies within one unit of its exact share. Each part first
 * gets the floor of its share; the units left over go to the largest remainders, ties to the
 * earlier weight, so the same input always splits the same way. BigInt arithmetic keeps
 * `amount × weight` exact beyond 2^53. All weights zero: only an amount of zero can be split.
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`cannot allocate ${amount}`)
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0)) {
    throw new RangeError('weights must be non-negative safe integers')
  }
  const total = weights.reduce((sum, w) => sum + BigInt(w), 0n)
  if (total === 0n) {
    if (amount === 0) return weights.map(() => 0)
    throw new RangeError(`cannot allocate ${amount} over weights that sum to zero`)
  }
  const whole = BigInt(amount)
  const parts = weights.map((w) => (whole * BigInt(w)) / total)
  const remainders = weights.map((w, i) => ({ i, rest: (whole * BigInt(w)) % total }))
  let left = Number(whole - parts.reduce((sum, p) => sum + p, 0n))
  remainders.sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1))
  for (const { i } of remainders) {
    if (left === 0) break
    parts[i] = parts[i]! + 1n
    left--
  }
  return parts.map(Number)
}
