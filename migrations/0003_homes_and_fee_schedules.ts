import { type Kysely, sql } from 'kysely';

/** The six Liverpool City Region councils; more are added through POST /v1/councils. */
const LIVERPOOL_CITY_REGION = [
  ['E06000006', 'Halton'],
  ['E08000011', 'Knowsley'],
  ['E08000012', 'Liverpool'],
  ['E08000013', 'St. Helens'],
  ['E08000014', 'Sefton'],
  ['E08000015', 'Wirral'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table councils (
      ons_code text primary key check (ons_code ~ '^E(06|07|08|09|10)[0-9]{6}$'),
      name text not null,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  for (const [code, name] of LIVERPOOL_CITY_REGION) {
    await sql`insert into councils (ons_code, name) values (${code}, ${name})`.execute(db);
  }

  await sql`
    create table homes (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      name text not null,
      ofsted_urn text unique,
      host_council text not null references councils (ons_code),
      registered_places integer not null check (registered_places between 1 and 100),
      opened_on date not null,
      closed_on date check (closed_on is null or closed_on >= opened_on),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index homes_organisation on homes (organisation_id, name)`.execute(db);

  await sql`
    create table central_cost_pools (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      period_label text not null,
      period_start date not null,
      period_end date not null,
      basis text not null check (basis in ('places', 'staff_fte', 'equal')),
      lines jsonb not null,
      total_annual numeric(19, 2) not null check (total_annual >= 0),
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (organisation_id, period_start)
    )
  `.execute(db);

  await sql`
    create table cost_models (
      id uuid primary key default gen_random_uuid(),
      home_id uuid not null references homes (id),
      organisation_id uuid not null references organisations (id),
      period_label text not null,
      period_start date not null,
      period_end date not null,
      document jsonb not null,
      central_source text not null check (central_source in ('pool', 'model')),
      version integer not null default 1,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index cost_models_home on cost_models (home_id, period_start)`.execute(db);
  await sql`create index cost_models_organisation on cost_models (organisation_id, period_start)`.execute(db);

  await sql`
    create table fee_schedules (
      id uuid primary key default gen_random_uuid(),
      home_id uuid not null references homes (id),
      organisation_id uuid not null references organisations (id),
      cost_model_id uuid not null references cost_models (id),
      cost_model_version integer not null,
      period_label text not null,
      period_start date not null,
      period_end date not null,
      version integer not null check (version >= 1),
      effective_from date not null,
      weekly_fee_per_child numeric(19, 2) not null,
      surplus_rate numeric(9, 6) not null,
      method_version integer not null,
      model jsonb not null,
      breakdown jsonb not null,
      published_by text not null,
      published_by_key_id uuid,
      published_at timestamptz not null default now(),
      unique (home_id, period_start, version),
      check (effective_from between period_start and period_end)
    )
  `.execute(db);
  await sql`create index fee_schedules_home_effective on fee_schedules (home_id, effective_from, published_at)`.execute(
    db,
  );
  await sql`create index fee_schedules_organisation on fee_schedules (organisation_id, published_at)`.execute(
    db,
  );
  await sql`
    create trigger fee_schedules_immutable before update or delete on fee_schedules
    for each row execute function refuse_change()
  `.execute(db);
  await sql`
    create trigger fee_schedules_no_truncate before truncate on fee_schedules
    for each statement execute function refuse_change()
  `.execute(db);

  await sql`
    create table idempotency_keys (
      actor text not null,
      key text not null,
      operation text not null,
      request_hash text not null,
      resource_id uuid not null,
      created_at timestamptz not null default now(),
      primary key (actor, key)
    )
  `.execute(db);
}
