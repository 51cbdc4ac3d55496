import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>) {
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

  // The latest occurrence each counter row holds: "and no order since the last view" compares
  // them to the instant, not the day. Facts count for the survivor of the profile they named,
  // as the counters do.
  await sql`alter table segments.daily_count add column last_at timestamptz`.execute(db)
  await sql`
    update segments.daily_count c set last_at = f.last_at
    from (
      select coalesce(p.merged_into, f.profile_id) as profile_id, f.name, coalesce(f.channel, '') as channel,
        (f.occurred_at at time zone 'UTC')::date as day, max(f.occurred_at) as last_at
      from segments.fact f left join segments.profile p on p.id = f.profile_id
      group by 1, 2, 3, 4
    ) f
    where f.profile_id = c.profile_id and f.name = c.name and f.channel = c.channel and f.day = c.day`.execute(db)
  // A counter no stored fact explains: the last instant of its day.
  await sql`update segments.daily_count set last_at = (day + 1)::timestamp at time zone 'UTC' - interval '1 microsecond' where last_at is null`.execute(db)
  await sql`alter table segments.daily_count alter column last_at set not null`.execute(db)
}
