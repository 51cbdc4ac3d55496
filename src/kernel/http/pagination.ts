import { z } from 'zod'
import { validationFailed } from '../errors.js'

export const PageQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})
export type PageQuery = z.infer<typeof PageQuery>

export type Page<T> = { data: T[]; nextCursor: string | null }

/** The list envelope's schema for a given item schema. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() })
}

const notOurs = () => validationFailed([{ path: 'query.cursor', message: 'is not a cursor this API gave out' }])

/** Cursors are opaque to clients: the sort key of the last row, base64url-encoded JSON. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

export function decodeCursor(cursor: string, length: number): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      Array.isArray(key) &&
      key.length === length &&
      key.every((k) => typeof k === 'string' || typeof k === 'number')
    ) {
      return key
    }
  } catch {
    // falls through to the problem below
  }
  throw notOurs()
}

/** The id a cursor of an id-ordered list holds. */
export function decodeIdCursor(cursor: string): string {
  const [id] = decodeCursor(cursor, 1)
  if (typeof id !== 'string') throw notOurs()
  return id
}

/** The (time, id) a cursor of a list ordered by a timestamp then id holds. */
export function decodeTimeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 2)
  const date = typeof at === 'string' ? new Date(at) : new Date(NaN)
  if (Number.isNaN(date.getTime()) || typeof id !== 'string') throw notOurs()
  return { at: date, id }
}

/** Cuts a `limit + 1` fetch into a page; the extra row only says that there is more. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => readonly (string | number)[],
  view: (row: R) => T,
): Page<T> {
  const more = rows.length > limit
  const kept = more ? rows.slice(0, limit) : rows
  const last = kept.at(-1)
  return { data: kept.map(view), nextCursor: more && last ? encodeCursor(keyOf(last)) : null }
}
