import { sql, type Kysely } from 'kysely'
import type { Migrations } from '../db/index.js'

/** Changes to the access schema after the kernel's first migration. */
export const accessMigrations: Migrations = {
  '202611250190_access_publishable_keys': {
    async up(db: Kysely<any>) {
      // PostgreSQL named the column check `<table>_<column>_check` when the table was created.
      await sql`alter table access.api_key drop constraint api_key_kind_check`.execute(db)
      await sql`
        alter table access.api_key add constraint api_key_kind_check
        check (kind in ('staff', 'touchpoint', 'publishable'))`.execute(db)
    },
  },
}
