import type { Transaction } from 'kysely'
import type { Clock } from '../kernel/clock.js'
import { crossModule } from '../kernel/db/index.js'
import { createCategory, listCategories } from '../modules/catalog/index.js'

/**
 * Creates the category codes a products file uses that the catalog lacks, named after their
 * code (rename them later in the admin console). One read, then one insert per new code: a
 * catalog has tens of categories, not thousands. Answers the codes it created.
 */
export async function ensureCategories(
  tx: Transaction<any>,
  clock: Clock,
  codes: readonly string[],
): Promise<string[]> {
  const wanted = [...new Set(codes)]
  if (wanted.length === 0) return []
  const known = new Set((await listCategories(crossModule(tx))).map((c) => c.code))
  const missing = wanted.filter((code) => !known.has(code)).sort()
  for (const code of missing) await createCategory(crossModule(tx), clock, { code, name: code })
  return missing
}
