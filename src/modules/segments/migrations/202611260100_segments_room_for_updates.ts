import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // Every delivered event updates its person's trait states and day counters. With full pages
  // each new row version goes to another page and into every index; with room left on the page
  // PostgreSQL keeps it there and touches no index (a heap-only update). Measured on trait
  // states: the upsert and the value refresh both 40% cheaper, delivery 37% faster.
  // Existing pages gain the room as they are rewritten.
  await sql`alter table segments.trait_state set (fillfactor = 70)`.execute(db)
  await sql`alter table segments.daily_count set (fillfactor = 70)`.execute(db)
}
