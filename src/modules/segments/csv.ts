import type { Kysely } from 'kysely'
import { withoutTransaction } from '../../kernel/db/index.js'
import { memberChunk } from './queries.js'

const chunk = 5_000

/**
 * A segment's members as CSV lines, read 5,000 at a time by keyset on profile id, each read its
 * own statement: a million-member export never holds a transaction or the whole list in memory.
 * Members entering or leaving during the export may or may not appear; none appears twice.
 */
export async function* membersCsv(db: Kysely<any>, segmentId: string): AsyncGenerator<string> {
  yield 'profile_id,entered_at\n'
  let after: string | null = null
  for (;;) {
    const rows = await withoutTransaction(db, (tx) => memberChunk(tx, segmentId, after, chunk))
    if (rows.length === 0) return
    yield rows.map((r) => `${r.profile_id},${r.entered_at.toISOString()}\n`).join('')
    if (rows.length < chunk) return
    after = rows.at(-1)!.profile_id
  }
}
