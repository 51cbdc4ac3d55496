import { Migrator, type Kysely, type Migration } from 'kysely'

export type Migrations = Record<string, Migration>

function migrator(db: Kysely<unknown>, migrations: Migrations) {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: 'kernel',
  })
}

/** Applies every pending migration in name order (names start with YYYYMMDDHHMM). */
export async function migrateToLatest(db: Kysely<any>, migrations: Migrations): Promise<string[]> {
  const { error, results } = await migrator(db, migrations).migrateToLatest()
  if (error) throw error
  return (results ?? []).map((r) => r.migrationName)
}

/** Names of migrations not yet applied: empty means the schema is current. */
export async function pendingMigrations(db: Kysely<any>, migrations: Migrations): Promise<string[]> {
  const all = await migrator(db, migrations).getMigrations()
  return all.filter((m) => !m.executedAt).map((m) => m.name)
}
