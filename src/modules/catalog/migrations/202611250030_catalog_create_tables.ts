import { sql, type Kysely } from 'kysely'

/**
 * Products, their variants, categories and relations. Search uses a stored tsvector over
 * `search_text` (title, description, SKUs, barcodes, option values) with the `simple`
 * configuration: no stemming, so Persian, Greek and English behave alike, and the generated
 * column and GIN index exist in PostgreSQL 12 onwards (PGlite and the server alike).
 */
export async function up(db: Kysely<any>) {
  await sql`create schema if not exists catalog`.execute(db)
  await sql`
    create table catalog.category (
      id text primary key,
      code text not null unique,
      name text not null,
      parent text references catalog.category (code),
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db)
  await sql`create index category_parent_idx on catalog.category (parent)`.execute(db)
  await sql`
    create table catalog.product (
      id text primary key,
      title text not null,
      description text,
      attributes jsonb not null default '{}',
      images jsonb not null default '[]',
      categories text[] not null default '{}',
      channels text[],
      search_text text not null default '',
      search tsvector generated always as (to_tsvector('simple'::regconfig, search_text)) stored,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db)
  await sql`create index product_search_idx on catalog.product using gin (search)`.execute(db)
  await sql`create index product_categories_idx on catalog.product using gin (categories)`.execute(
    db,
  )
  await sql`create index product_channels_idx on catalog.product using gin (channels)`.execute(db)
  await sql`create index product_newest_idx on catalog.product (created_at desc, id desc)`.execute(
    db,
  )
  await sql`create index product_updated_idx on catalog.product (updated_at)`.execute(db)
  await sql`
    create table catalog.variant (
      id text primary key,
      product_id text not null references catalog.product (id),
      sku text not null unique,
      barcode text unique,
      options jsonb not null default '{}',
      weight_grams integer check (weight_grams >= 0),
      position integer not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db)
  await sql`create index variant_product_idx on catalog.variant (product_id, position)`.execute(db)
  await sql`
    create table catalog.product_relation (
      product_id text not null references catalog.product (id),
      kind text not null check (kind in ('complementary', 'accessory', 'substitute')),
      related_id text not null references catalog.product (id),
      position integer not null,
      created_at timestamptz not null,
      primary key (product_id, kind, related_id),
      check (product_id <> related_id)
    )`.execute(db)
  await sql`create index product_relation_related_idx on catalog.product_relation (related_id)`.execute(
    db,
  )
}
