import { sql, type Kysely } from 'kysely'

/**
 * One price book: `price` holds one base amount per (sku, currency); `price_override` holds the
 * rare channel exceptions. The foreign key means an override can only shadow a base price that
 * exists, so removing a currency's base price must remove its overrides first.
 */
export async function up(db: Kysely<any>) {
  await sql`create schema if not exists pricing`.execute(db)
  await sql`
    create table pricing.price (
      sku text not null,
      currency text not null,
      amount_minor bigint not null check (amount_minor >= 0),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (sku, currency)
    )`.execute(db)
  await sql`
    create table pricing.price_override (
      sku text not null,
      currency text not null,
      channel text not null,
      amount_minor bigint not null check (amount_minor >= 0),
      reason text not null,
      set_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (sku, currency, channel),
      foreign key (sku, currency) references pricing.price (sku, currency)
    )`.execute(db)
  await sql`create index price_override_channel_idx on pricing.price_override (channel)`.execute(db)
}
