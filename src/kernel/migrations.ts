import { sql, type Kysely } from 'kysely'
import { accessMigrations } from './auth/migrations.js'
import type { Migrations } from './db/index.js'

/** The kernel's own tables: keys and audit (access), outbox, checkpoints and idempotency (kernel). */
export const kernelMigrations: Migrations = {
  '202611250000_kernel_create_tables': {
    async up(db: Kysely<any>) {
      await sql`create schema if not exists kernel`.execute(db)
      await sql`create schema if not exists access`.execute(db)
      await db.schema
        .createTable('access.api_key')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('prefix', 'text', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('staff', 'touchpoint')`))
        .addColumn('role', 'text')
        .addColumn('channel_id', 'text')
        .addColumn('channel_code', 'text')
        .addColumn('channel_kind', 'text')
        .addColumn('location', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .execute()
      await db.schema.createIndex('api_key_channel_idx').on('access.api_key').column('channel_id').execute()
      await db.schema
        .createTable('access.audit_log')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('before', 'jsonb')
        .addColumn('after', 'jsonb')
        .addColumn('request_id', 'text')
        .execute()
      await db.schema
        .createIndex('audit_log_resource_idx')
        .on('access.audit_log')
        .columns(['resource', 'resource_id', 'id'])
        .execute()
      await db.schema
        .createTable('kernel.outbox')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('tx_id', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('channel', 'text')
        .addColumn('profile_id', 'text')
        .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('outbox_delivery_idx').on('kernel.outbox').columns(['tx_id', 'id']).execute()
      await db.schema
        .createTable('kernel.consumer_checkpoint')
        .addColumn('consumer', 'text', (c) => c.primaryKey())
        .addColumn('tx_id', sql`xid8`, (c) => c.notNull())
        .addColumn('event_id', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('kernel.idempotency_key')
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('response', 'jsonb')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_key_pk', ['owner', 'key'])
        .execute()
      await db.schema
        .createIndex('idempotency_key_created_idx')
        .on('kernel.idempotency_key')
        .column('created_at')
        .execute()
    },
  },
  '202611261100_kernel_idempotency_response_text': {
    async up(db: Kysely<any>) {
      // Only ever written whole and read back whole: kept as the text that was sent.
      await sql`
        alter table kernel.idempotency_key
        alter column response type text using response::text`.execute(db)
    },
  },
  ...accessMigrations,
}
