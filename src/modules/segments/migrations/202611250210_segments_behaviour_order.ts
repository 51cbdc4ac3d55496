import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
  // The latest occurrence each counter row holds: "and no order since the last view" compares
  // them to the instant, not the day.
  await sql`alter table segments.daily_count add column last_at timestamptz`.execute(db)
  await sql`
    update segments.daily_count c set last_at = f.last_at
    from (
      select profile_id, name, coalesce(channel, '') as channel, (occurred_at at time zone 'UTC')::date as day, max(occurred_at) as last_at
      from segments.fact group by 1, 2, 3, 4
    ) f
    where f.profile_id = c.profile_id and f.name = c.name and f.channel = c.channel and f.day = c.day`.execute(db)
  // Counters folded from a profile whose facts were never stored: the day's last instant.
  await sql`update segments.daily_count set last_at = (day + 1)::timestamp at time zone 'UTC' - interval '1 microsecond' where last_at is null`.execute(db)
  await sql`alter table segments.daily_count alter column last_at set not null`.execute(db)

  // A merged-away profile points straight at its live survivor, so rules over stored facts
  // resolve a fact's person in one hop.
  await sql`
    with recursive chain(id, root, depth) as (
      select id, merged_into, 1 from segments.profile where merged_into is not null
      union all
      select c.id, p.merged_into, c.depth + 1
      from chain c join segments.profile p on p.id = c.root where p.merged_into is not null and c.depth < 32
    )
    update segments.profile p set merged_into = r.root
    from (select distinct on (id) id, root from chain order by id, depth desc) r
    where p.id = r.id and p.merged_into <> r.root`.execute(db)
}
