import { sql, type Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { PeriodicTask } from '../jobs/periodic.js'
import type { EngineKind } from './engine.js'

/** What one table needed and got: `vacuum` includes an analyze. */
export type Maintained = { table: string; action: 'vacuum' | 'analyze'; ms: number }

type Due = { schema: string; name: string; vacuum: boolean }

/**
 * Tables due for a vacuum or an analyze by autovacuum's own rules and settings: dead rows past
 * `autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × rows`, rows inserted since the
 * last vacuum past the insert threshold (so the visibility map and hint bits keep up with
 * append-only tables), rows changed since the last analyze past the analyze threshold, or a
 * table's oldest unfrozen transaction older than `autovacuum_freeze_max_age` (a vacuum then
 * freezes it, which is what keeps transaction ids from wrapping around). Catalogs count too;
 * TOAST tables are vacuumed with their table; a table set `autovacuum_enabled = false` only
 * against wraparound, as autovacuum does. The most urgent come first.
 */
const dueTables = sql<Due>`
  with setting as (
    select current_setting('autovacuum_vacuum_threshold')::float8 as vt,
           current_setting('autovacuum_vacuum_scale_factor')::float8 as vs,
           current_setting('autovacuum_vacuum_insert_threshold')::float8 as it,
           current_setting('autovacuum_vacuum_insert_scale_factor')::float8 as "is",
           current_setting('autovacuum_analyze_threshold')::float8 as at,
           current_setting('autovacuum_analyze_scale_factor')::float8 as "as",
           current_setting('autovacuum_freeze_max_age')::float8 as freeze_age
  ), stat as (
    select n.nspname as schema, c.relname as name, greatest(c.reltuples, 0) as rows,
           s.n_dead_tup as dead, s.n_ins_since_vacuum as inserted,
           s.n_mod_since_analyze as modified, age(c.relfrozenxid) as xid_age,
           exists (
             select from pg_options_to_table(c.reloptions) o
             where o.option_name = 'autovacuum_enabled' and not o.option_value::bool
           ) as excluded
    from pg_stat_all_tables s
    join pg_class c on c.oid = s.relid
    join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'm')
  ), due as (
    select stat.*,
           xid_age > freeze_age as wraparound,
           dead > vt + vs * rows or inserted > it + "is" * rows or xid_age > freeze_age as vacuum,
           modified > at + "as" * rows as stale
    from stat, setting
  )
  select schema, name, vacuum from due
  where (vacuum or stale) and (wraparound or not excluded)
  order by wraparound desc, vacuum desc, dead + modified desc`

/**
 * Does for one database what PostgreSQL's autovacuum does, in the calling process: reads the
 * table statistics (flushing this session's pending counts first, as a lone session reports
 * them only now and then), then vacuums and analyzes each table that is due, one statement per
 * table so that other work runs between them. Answers what it did.
 */
export async function maintainTables(db: Kysely<any>): Promise<Maintained[]> {
  await sql`select pg_stat_force_next_flush()`.execute(db)
  const due = await dueTables.execute(db)
  const done: Maintained[] = []
  for (const t of due.rows) {
    const table = sql.id(t.schema, t.name)
    const started = performance.now()
    await (t.vacuum ? sql`vacuum (analyze) ${table}` : sql`analyze ${table}`).execute(db)
    done.push({
      table: `${t.schema}.${t.name}`,
      action: t.vacuum ? 'vacuum' : 'analyze',
      ms: performance.now() - started,
    })
  }
  return done
}

const everyMs = 60_000

/**
 * The embedded engine is PostgreSQL as a single session, without the background workers of a
 * server, autovacuum among them: without this task its hot tables (stock levels, trait state,
 * idempotency keys) would grow with every update, the planner would never get statistics, and
 * after two billion transactions it would stop accepting writes. A PostgreSQL server vacuums
 * itself, so there is nothing to add.
 */
export function maintenanceTasks(
  kind: EngineKind,
  db: Kysely<any>,
  logger: Logger,
): PeriodicTask[] {
  if (kind !== 'pglite') return []
  return [
    {
      name: 'kernel.maintain-tables',
      everyMs,
      run: async () => {
        const done = await maintainTables(db)
        if (done.length === 0) return
        const ms = Math.round(done.reduce((sum, t) => sum + t.ms, 0))
        logger.info({ tables: done.map((t) => `${t.action} ${t.table}`), ms }, 'tables maintained')
      },
    },
  ]
}
