import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { CATEGORY_OF_CODE, type LineCode } from '../../src/domain/pricing/codes.js';
import { BENCH_API_KEY, root } from './harness.js';

/**
 * Seeds a national-scale data set for the returns benchmark: one organisation, home, cost model and
 * two fee schedules (2026-04-01 and 2026-10-01) made through the API so that every JSON document is
 * one the service wrote itself, then cloned with set-based SQL to `organisations` organisations,
 * `homes` homes, `placements` placements and a year of monthly actuals per home.
 *
 * Actuals: the method's 24 actual cost codes (every code of src/domain/pricing/codes.ts but SURPLUS
 * and ENHANCEMENT_STAFFING), and 6 of them a second time with another description (agency staff,
 * gas beside electricity, a supplier's credit note…), so 30 lines per import, as a provider's ledger
 * has more lines than codes. Each home has version 1 of every month of 2026-27; one (home, month) in
 * ten has a version 2 (a re-import, whose lines differ), and one home in ten also has March 2026
 * (the year before), which the return must leave out.
 */

export const FINANCIAL_YEAR = { label: '2026-27', start: '2026-04-01', end: '2027-03-31' } as const;

/** The 24 codes a provider may report actuals against, in the order of codes.ts. */
export const ACTUAL_CODES = (Object.keys(CATEGORY_OF_CODE) as LineCode[]).filter(
  (code) => CATEGORY_OF_CODE[code] !== 'surplus' && CATEGORY_OF_CODE[code] !== 'enhancement',
);

/** Typical monthly spending of a four-bed home per code, in pounds (each line is ±20% of it). */
const MONTHLY: Record<string, number> = {
  STAFF_PAY: 42000,
  STAFF_EMPLOYER_NI: 4800,
  STAFF_EMPLOYER_PENSION: 1300,
  STAFF_APPRENTICESHIP_LEVY: 210,
  STAFF_ABSENCE_COVER: 2900,
  PROPERTY_LEASE: 2600,
  PROPERTY_SERVICE_CHARGE: 140,
  PROPERTY_REPAIRS_MAINTENANCE: 650,
  PROPERTY_UTILITIES: 520,
  PROPERTY_COUNCIL_TAX: 260,
  PROPERTY_INSURANCE: 310,
  PROPERTY_FURNISHING: 230,
  PROPERTY_OTHER: 90,
  RUNNING_FOOD_HOUSEHOLD: 1250,
  RUNNING_ACTIVITIES: 640,
  RUNNING_CHILD_ALLOWANCES: 420,
  RUNNING_EDUCATION: 330,
  RUNNING_HEALTH_THERAPY: 560,
  RUNNING_TRANSPORT: 720,
  RUNNING_TRAINING: 380,
  RUNNING_REGULATORY: 160,
  RUNNING_IT_COMMS: 240,
  RUNNING_OTHER: 150,
  CENTRAL_OVERHEAD: 6100,
};

/** The 30 lines of every import: [code, description, monthly pounds]. */
export const LINES: Array<[string, string, number]> = [
  ...ACTUAL_CODES.map((code): [string, string, number] => [
    code,
    code.toLowerCase().replaceAll('_', ' '),
    MONTHLY[code] ?? 100,
  ]),
  ['STAFF_PAY', 'agency and bank staff', 5200],
  ['STAFF_ABSENCE_COVER', 'sickness cover, agency', 900],
  ['PROPERTY_UTILITIES', 'gas (electricity above)', 310],
  ['RUNNING_FOOD_HOUSEHOLD', 'supplier credit note', -45],
  ['RUNNING_ACTIVITIES', 'holidays and trips', 410],
  ['RUNNING_TRANSPORT', 'vehicle lease', 480],
];

/** SQL `values` rows of the codes with their category and their order in codes.ts. */
export function codeValuesSql(): string {
  return ACTUAL_CODES.map((code, i) => `('${code}', '${CATEGORY_OF_CODE[code]}', ${i + 1})`).join(', ');
}

/**
 * The long-format rows the CSV export should hold: per home × code, the year's actual amounts summed
 * over the latest version of each month's import, with organisation and home columns; organisations
 * in id order, their homes by name, codes in the order of codes.ts.
 */
export function returnRowsSql(): string {
  return `
with latest as (
  select distinct on (home_id, month) id, home_id
  from actuals_imports
  where month between date '${FINANCIAL_YEAR.start}' and date '${FINANCIAL_YEAR.end}'
  order by home_id, month, version desc
), totals as (
  select l.home_id, a.code, sum(a.amount) as amount
  from latest l join actual_amounts a on a.import_id = l.id
  group by l.home_id, a.code
)
select '${FINANCIAL_YEAR.label}' as financial_year, o.id as organisation_id, o.name as organisation_name,
  h.id as home_id, h.ofsted_urn, h.name as home_name, c.category, t.code, t.amount
from totals t
join homes h on h.id = t.home_id
join organisations o on o.id = h.organisation_id
join (values ${codeValuesSql()}) as c (code, category, ord) on c.code = t.code
order by o.id, h.name, h.id, c.ord`.trim();
}

export interface SeedSizes {
  organisations: number;
  homes: number;
  placements: number;
}

export interface SeedOutcome {
  ms: number;
  steps: Array<{ step: string; ms: number }>;
  counts: Record<string, number>;
}

async function api(serverUrl: string, method: string, url: string, body: unknown, key?: string) {
  const response = await fetch(`${serverUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${BENCH_API_KEY}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<{ id: string }>;
}

/**
 * Seeds the schema `client` works in (its search_path) through the bench server at `serverUrl`, which
 * must be on the same schema.
 */
export async function seedReturns(
  serverUrl: string,
  client: pg.Client,
  sizes: SeedSizes,
  log: (line: string) => void = () => {},
): Promise<SeedOutcome> {
  const started = performance.now();
  const steps: SeedOutcome['steps'] = [];
  const step = async (name: string, work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    const ms = performance.now() - t;
    steps.push({ step: name, ms });
    log(`  ${name}: ${(ms / 1000).toFixed(1)} s`);
  };
  const run = (text: string, values?: unknown[]) => client.query(text, values);

  // 1. One of everything through the API: organisation 0, home 0, a cost model, two schedules.
  let templateHome = '';
  await step('template through the API (organisation, home, cost model, 2 schedules)', async () => {
    const wirral = JSON.parse(
      readFileSync(`${root}/fixtures/examples/wirral-four-bed-2026-27.model.json`, 'utf8'),
    );
    const organisation = await api(serverUrl, 'POST', '/v1/organisations', {
      name: 'Bench Provider 0000 CIC',
      legalForm: 'community_interest_company',
      companiesHouseNumber: '90000000',
      surplusCapRate: '0.08',
    });
    const home = await api(serverUrl, 'POST', '/v1/homes', {
      organisationId: organisation.id,
      name: 'Bench Home 0000',
      ofstedUrn: 'SC000000',
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });
    const draft = await api(serverUrl, 'POST', `/v1/homes/${home.id}/cost-models`, wirral);
    for (const effectiveFrom of ['2026-04-01', '2026-10-01']) {
      await api(
        serverUrl,
        'POST',
        `/v1/cost-models/${draft.id}/publish`,
        { effectiveFrom },
        `bench-returns-${effectiveFrom}`,
      );
    }
    templateHome = home.id;
  });

  await run('set synchronous_commit = off');
  const { organisations: O, homes: H, placements: P } = sizes;

  await step(`organisations (${O})`, async () => {
    await run(
      `insert into organisations (name, legal_form, companies_house_number, surplus_cap_rate)
       select 'Bench Provider ' || lpad(k::text, 4, '0') || ' ' || (array['CIC', 'Trust', 'Care Ltd'])[1 + k % 3],
         (array['community_interest_company', 'charitable_trust', 'company_limited_by_guarantee'])[1 + k % 3],
         '9' || lpad(k::text, 7, '0'), (array[0.05, 0.08, 0.03])[1 + k % 3]
       from generate_series(1, $1::int - 1) k`,
      [O],
    );
    await run(`create temp table bench_org as
      select substr(companies_house_number, 2)::int as k, id from organisations
      where companies_house_number like '9%'`);
  });

  await step(`homes (${H})`, async () => {
    await run(
      `insert into homes (organisation_id, name, ofsted_urn, host_council, registered_places, opened_on)
       select o.id, 'Bench Home ' || lpad(n::text, 4, '0'), 'SC' || lpad(n::text, 6, '0'),
         c.codes[1 + n % cardinality(c.codes)], 2 + n % 4, date '2012-01-01' + (n * 7) % 4000
       from generate_series(1, $1::int - 1) n
       join bench_org o on o.k = n % $2::int
       cross join (select array_agg(ons_code order by ons_code) as codes from councils) c`,
      [H, O],
    );
    await run(`create temp table bench_home as
      select substr(ofsted_urn, 3)::int as n, id, organisation_id from homes where ofsted_urn like 'SC%'`);
    await run('create index on bench_home (n)');
    await run('analyze bench_home');
  });

  await step('cost models (1 per home) and fee schedules (1 or 2 per home)', async () => {
    await run(
      `insert into cost_models (home_id, organisation_id, period_label, period_start, period_end, document,
         central_source, version, created_by, updated_by)
       select h.id, h.organisation_id, t.period_label, t.period_start, t.period_end, t.document,
         t.central_source, t.version, 'bench', 'bench'
       from bench_home h cross join (select * from cost_models where home_id = $1) t
       where h.n > 0`,
      [templateHome],
    );
    // Version 2 (effective 2026-10-01) for two homes in three.
    await run(
      `insert into fee_schedules (home_id, organisation_id, cost_model_id, cost_model_version, period_label,
         period_start, period_end, version, effective_from, weekly_fee_per_child, surplus_rate,
         method_version, model, breakdown, published_by)
       select h.id, h.organisation_id, cm.id, f.cost_model_version, f.period_label, f.period_start,
         f.period_end, f.version, f.effective_from, f.weekly_fee_per_child, f.surplus_rate,
         f.method_version, f.model, f.breakdown, 'bench'
       from bench_home h
       join cost_models cm on cm.home_id = h.id
       cross join (select * from fee_schedules where home_id = $1) f
       where h.n > 0 and (f.version = 1 or h.n % 3 <> 0)`,
      [templateHome],
    );
  });

  await step(`placements (${P}) and their versions`, async () => {
    // Starts spread over the year (one in five before it); one in four ended by a version 2;
    // one in seven with an enhancement.
    await run(
      `create temp table bench_placement as
       select g.n, gen_random_uuid() as id, h.id as home_id, h.organisation_id,
         c.codes[1 + (g.n * 7) % cardinality(c.codes)] as council_code,
         case when g.n % 5 = 0 then date '2025-04-01' + (g.n * 13) % 365
              else date '2026-04-01' + (g.n * 37) % 365 end as start_date
       from generate_series(0, $1::int - 1) as g (n)
       join bench_home h on h.n = g.n % $2::int
       cross join (select array_agg(ons_code order by ons_code) as codes from councils) c`,
      [P, H],
    );
    await run(`insert into placements (id, organisation_id, council_code, reference, created_by)
      select id, organisation_id, council_code, 'BENCH-' || lpad(n::text, 6, '0'), 'bench' from bench_placement`);
    await run(`insert into placement_versions (placement_id, version, home_id, start_date, end_date,
        enhancements, action, recorded_by)
      select id, 1, home_id, start_date, null,
        case when n % 7 = 0 then jsonb_build_array(jsonb_build_object('id', 'e' || n,
          'description', '1:1 support', 'roleId', 'rcw', 'hoursPerWeek', '10',
          'start', start_date::text, 'end', null)) else '[]'::jsonb end,
        'create', 'bench'
      from bench_placement`);
    await run(`insert into placement_versions (placement_id, version, home_id, start_date, end_date,
        enhancements, action, recorded_by)
      select v.placement_id, 2, v.home_id, v.start_date,
        least(v.start_date + 30 + (p.n % 240), date '2027-03-31'), v.enhancements, 'end', 'bench'
      from bench_placement p join placement_versions v on v.placement_id = p.id and v.version = 1
      where p.n % 4 = 0`);
  });

  await step(
    'actuals imports (12 months per home, 1 in 10 months re-imported, 1 in 10 homes with March 2026)',
    async () => {
      await run(
        `insert into actuals_imports (batch_id, organisation_id, home_id, month, version, source, imported_by)
       select md5(h.id::text || '/' || v)::uuid, h.organisation_id, h.id,
         ($1::date + make_interval(months => m))::date, v, 'csv', 'bench'
       from bench_home h
       cross join generate_series(0, 11) m
       cross join generate_series(1, 2) v
       where v = 1 or (h.n + m) % 10 = 0
       union all
       select md5(h.id::text || '/prior')::uuid, h.organisation_id, h.id, date '2026-03-01', 1, 'csv', 'bench'
       from bench_home h where h.n % 10 = 0`,
        [FINANCIAL_YEAR.start],
      );
    },
  );

  await step(`actual amounts (${LINES.length} lines per import)`, async () => {
    const lines = LINES.map(
      ([code, description, monthly], i) => `(${i + 1}, '${code}', '${description}', ${monthly})`,
    ).join(', ');
    // A version 2 changes every line (so that taking the wrong version shows in the totals).
    await run(
      `insert into actual_amounts (import_id, line, code, amount, description)
       select i.id, l.line, l.code,
         round((l.monthly * (0.8 + 0.4 * random()) * (case when i.version = 2 then 1.1 else 1 end))::numeric, 2),
         l.description || ', invoice ' || to_char(i.month, 'YYYY-MM') || '-' || l.line
       from actuals_imports i
       cross join (values ${lines}) as l (line, code, description, monthly)`,
    );
  });

  await step('analyze', () => run('analyze'));

  const counts: Record<string, number> = {};
  for (const table of [
    'organisations',
    'homes',
    'cost_models',
    'fee_schedules',
    'placements',
    'placement_versions',
    'actuals_imports',
    'actual_amounts',
  ]) {
    const result = await run(`select count(*)::int as n from ${table}`);
    counts[table] = result.rows[0].n;
  }
  return { ms: performance.now() - started, steps, counts };
}
