import { parse } from 'csv-parse/sync';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { exampleModel, type HomePlan, monthsOf, seedProvider } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey } from '../helpers/keys.js';
import { dayOf, type ReadCell, readWorkbook, sheetCells, sheetTable, XLSX } from '../helpers/xlsx.js';

// The workbooks analysts open to sum, sort and filter: the annual return, a council's statement of
// charges and a council's reconciliation statement. Every number is a number (money, ratios as
// percentages, FTE as a decimal, counts as integers), every date a real date on the same day as the
// CSV's and JSON's, identifiers text even when they are all digits; and each figure is the CSV's or
// JSON's, to the penny or to the ratio's sixth place.

const WIRRAL = 'E08000015';
const SEFTON = 'E08000014';
const LIVERPOOL = 'E08000012';
const YEAR = monthsOf('2026-04', '2027-03');
const RETURN = '/v1/returns/2026-27';

const FORMATS = {
  money: '#,##0.00',
  pounds: '"£"#,##0.00',
  percent: '0.0000%',
  decimal: '0.00####',
  integer: '0',
  date: 'yyyy-mm-dd',
} as const;

type Kind = 'money' | 'percent' | 'decimal' | 'integer' | 'date' | 'text';

const PERCENT = new Set([
  'occupancy_achieved',
  'occupancy_planned',
  'surplus_rate_on_cost',
  'surplus_share_of_income',
  'cap_rate',
  'surplus_rate',
  'share',
  'agency_share_of_cover',
]);
const INTEGER = new Set([
  'homes',
  'registered_places',
  'place_days',
  'occupied_days',
  'placements',
  'unpriced_days',
  'held_over_days',
  'fee_versions',
  'version',
  'days_in_force',
]);
const DATE = new Set(['open_from', 'open_to', 'effective_from', 'in_force_from', 'in_force_to']);
const MONEY = new Set([
  'amount',
  'income',
  'actual_cost',
  'realised_surplus',
  'allowed_surplus',
  'excess',
  'shortfall',
  'rebates_due',
  'weekly_fee_per_child',
  'rebate_due',
  'charged',
  'paid',
  'allowance',
]);
/** Identifiers and labels that look like numbers or dates to a spreadsheet, and must stay text. */
const IDENTIFIERS = [
  'financial_year',
  'organisation_id',
  'companies_house_number',
  'home_id',
  'ofsted_urn',
  'host_council_code',
  'council_code',
  'fee_schedule_id',
  'period_label',
  'hash',
  'party_id',
  'code',
];

/** What a column of the annual return's workbook must hold, decided here independently of the service. */
function returnKind(sheet: string, column: string): Kind {
  if (sheet === 'summary' && column === 'missing_months') return 'integer';
  if (PERCENT.has(column)) return 'percent';
  if (INTEGER.has(column) || column.startsWith('headcount_')) return 'integer';
  if (column.startsWith('fte_')) return 'decimal';
  if (DATE.has(column)) return 'date';
  if (MONEY.has(column) || column.startsWith('cost_') || /adjusted|related_party_excess/.test(column))
    return 'money';
  return 'text';
}

/**
 * A cell read back against the CSV's (or JSON's) text for it: empty for empty; a number of the kind's
 * format equal to the decimal exactly (money to the penny, ratios to their places); a Date at UTC
 * midnight of the same day; or the very same text.
 */
function expectCell(
  cell: ReadCell,
  kind: Kind,
  expected: string | null,
  where: string,
  money: string = FORMATS.money,
) {
  if (expected === null || expected === '') {
    expect(cell.value, where).toBeNull();
    return;
  }
  switch (kind) {
    case 'text':
      expect(typeof cell.value, where).toBe('string');
      expect(cell.value, where).toBe(expected);
      return;
    case 'date':
      expect(cell.value, where).toBeInstanceOf(Date);
      expect(dayOf(cell.value), where).toBe(expected);
      expect(cell.numFmt, where).toBe(FORMATS.date);
      return;
    default:
      expect(typeof cell.value, where).toBe('number');
      expect(new Dec(String(cell.value)).eq(expected), `${where}: ${cell.value} ≠ ${expected}`).toBe(true);
      expect(cell.numFmt, where).toBe(kind === 'money' ? money : FORMATS[kind]);
  }
}

/** What a spreadsheet's SUM of the cells gives (a double), to `places`. */
function spreadsheetSum(cells: readonly ReadCell[], places: number): string {
  const total = cells.reduce((sum, cell) => sum + (cell.value === null ? 0 : (cell.value as number)), 0);
  return new Dec(total).toFixed(places);
}

const decimalSum = (values: readonly (string | null | undefined)[], places: number) =>
  values.reduce((sum: Dec, value) => (value ? sum.plus(value) : sum), new Dec(0)).toFixed(places);

const allYear = (councilCode: string, reference: string) => ({
  councilCode,
  reference,
  start: '2026-04-01',
  end: '2027-03-31',
});
const monthly = (rows: Array<Record<string, string>>) =>
  YEAR.map((month) => ({ month, rows: rows as Array<{ code: string; amount: string }> }));

// Ash House: two children all year (one with a reference of digits) against £480,000 of costs: over
// its cap, so it owes Wirral and Sefton rebates. Harbour House: priced on the §6 example with a lease
// paid to a related party above market. Cedar House, of another provider: one child from June,
// overspent.
const ASH: HomePlan = {
  name: 'Ash House',
  placements: [allYear(WIRRAL, '00123'), allYear(SEFTON, 'SEF-201')],
  actuals: monthly([
    { code: 'STAFF_PAY', amount: '36000.00' },
    { code: 'PROPERTY_LEASE', amount: '4000.00' },
  ]),
};
const HARBOUR: HomePlan = {
  name: 'Harbour House',
  model: exampleModel('wirral-related-parties-2026-27'),
  placements: [allYear(WIRRAL, 'WIR-501'), allYear(SEFTON, 'SEF-601')],
  actuals: monthly([
    { code: 'STAFF_PAY', amount: '40000.00' },
    { code: 'PROPERTY_LEASE', amount: '2600.00', description: 'Lease', relatedParty: 'jpl' },
  ]),
};
const CEDAR: HomePlan = {
  name: 'Cedar House',
  placements: [{ councilCode: LIVERPOOL, reference: 'LIV-301', start: '2026-06-01', end: null }],
  actuals: monthly([{ code: 'STAFF_PAY', amount: '32000.00' }]),
};

describe.each(engines)('XLSX cell types on %s', (engine) => {
  let testApp: TestApp;
  let app: FastifyInstance;
  let regulator: Record<string, string>;
  let finance: Record<string, string>;
  let organisationId: string;
  const inject = (options: InjectOptions) => app.inject(options);
  const ok = async (options: InjectOptions) => {
    const response = await inject(options);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    return response;
  };

  beforeAll(async () => {
    // the 2026-27 year has ended: its return and reconciliation are settled
    testApp = await createTestApp(engine, { today: '2027-06-01' });
    app = testApp.app;
    regulator = bearer((await createKey(app, { role: 'regulator' })).key);
    const provider = await seedProvider(app, {
      name: 'Open Book CIC',
      capScope: 'home',
      homes: [ASH, HARBOUR],
    });
    ({ organisationId, finance } = provider);
    await seedProvider(app, { name: 'Second Provider CIC', homes: [CEDAR] });
    // an Ofsted URN of digits with a leading zero: a number to a careless spreadsheet
    const patched = await inject({
      method: 'PATCH',
      url: `/v1/homes/${provider.homeIds[0]}`,
      headers: finance,
      payload: { ofstedUrn: '0123456' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
  });
  afterAll(() => testApp.close());

  describe('the annual return', () => {
    let document: {
      totals: Record<string, unknown> & Totals;
      organisations: Array<OrganisationFacts & { totals: Totals }>;
    };
    let workbook: Awaited<ReturnType<typeof readWorkbook>>;
    const csvOf = async (table: string) =>
      parse((await ok({ url: `${RETURN}?format=csv&table=${table}`, headers: regulator })).body, {
        columns: true,
      }) as Array<Record<string, string>>;

    beforeAll(async () => {
      document = (await ok({ url: RETURN, headers: regulator })).json();
      workbook = await readWorkbook(
        (await ok({ url: RETURN, headers: { ...regulator, accept: XLSX } })).rawPayload,
      );
    });

    it.each(['homes', 'fees', 'councils', 'rebates', 'related-parties', 'costs'])(
      'holds in the %s sheet the CSV table, every number a number and every date a date',
      async (table) => {
        const csv = await csvOf(table);
        const { header, rows } = sheetTable(workbook.getWorksheet(table)!);
        expect(header).toEqual(Object.keys(csv[0]!));
        expect(rows).toHaveLength(csv.length);
        rows.forEach((row, index) => {
          for (const column of header) {
            expectCell(
              row[column]!,
              returnKind(table, column),
              csv[index]![column]!,
              `${table}[${index}].${column}`,
            );
          }
        });
        // no vacuous pass: each numeric or date column holds at least one value
        for (const column of header.filter((key) => returnKind(table, key) !== 'text')) {
          expect(
            rows.some((row) => row[column]!.value !== null),
            `${table}.${column} has a value`,
          ).toBe(true);
        }
        // identifiers stay text, even all digits (the URN 0123456, Companies House numbers)
        for (const column of IDENTIFIERS.filter((key) => header.includes(key))) {
          for (const row of rows) {
            if (row[column]!.value !== null) expect(typeof row[column]!.value, column).toBe('string');
          }
        }
      },
    );

    it('gives the homes sheet percentages, decimals and integers that a SUM adds up to the CSV', async () => {
      const csv = await csvOf('homes');
      const { rows } = sheetTable(workbook.getWorksheet('homes')!);
      const column = (name: string) => rows.map((row) => row[name]!);
      for (const name of ['occupancy_achieved', 'occupancy_planned', 'surplus_rate_on_cost', 'cap_rate']) {
        expect(column(name).every((cell) => cell.numFmt === FORMATS.percent)).toBe(true);
      }
      for (const name of ['fte_total', 'fte_care']) {
        expect(column(name).every((cell) => cell.numFmt === FORMATS.decimal)).toBe(true);
      }
      expect(column('registered_places').every((cell) => cell.numFmt === FORMATS.integer)).toBe(true);
      // the leading zero of the URN survives
      expect(column('ofsted_urn').map((cell) => cell.value)).toContain('0123456');

      // SUM: the read-back doubles add up to the CSV's exact sums, to the places the CSV carries
      expect(spreadsheetSum(column('occupancy_achieved'), 6)).toBe(
        decimalSum(
          csv.map((row) => row.occupancy_achieved),
          6,
        ),
      );
      expect(spreadsheetSum(column('income'), 2)).toBe(
        decimalSum(
          csv.map((row) => row.income),
          2,
        ),
      );
      expect(spreadsheetSum(column('income'), 2)).toBe(document.totals.income.total);
      expect(spreadsheetSum(column('fte_total'), 6)).toBe(new Dec(document.totals.staffing.fte).toFixed(6));
      expect(spreadsheetSum(column('registered_places'), 0)).toBe(String(document.totals.registeredPlaces));
      const costs = sheetTable(workbook.getWorksheet('costs')!).rows.map((row) => row.amount!);
      expect(spreadsheetSum(costs, 2)).toBe(document.totals.actualCosts.total);
    });

    it('gives the summary sheet the JSON totals of each provider and of all, as numbers', async () => {
      const { header, rows } = sheetTable(workbook.getWorksheet('summary')!);
      const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
      const expected = [
        ...document.organisations.map((organisation) => ({
          ...summaryFigures(organisation.totals),
          organisation_id: organisation.id,
          organisation_name: organisation.name,
          legal_form: organisation.legalForm,
          companies_house_number: organisation.companiesHouseNumber,
          cap_rate: organisation.capRate,
          cap_scope: organisation.capScope,
          status: organisation.status,
          outcome: organisation.outcome,
          missing_months: String(organisation.missingMonths.length),
        })),
        {
          ...summaryFigures(document.totals),
          organisation_id: 'ALL',
          organisation_name: 'All providers',
        },
      ];
      expect(rows).toHaveLength(expected.length);
      rows.forEach((row, index) => {
        for (const column of header) {
          const want = (expected[index] as Record<string, unknown>)[column];
          expectCell(row[column]!, returnKind('summary', column), text(want), `summary[${index}].${column}`);
        }
      });
      expect(typeof rows[0]!.companies_house_number!.value).toBe('string');
      expect(rows.at(-1)!.missing_months!.value).toBeNull();
    });
  });

  it("gives the council's statement of charges numbers, £ amounts and real dates, the JSON's", async () => {
    const url = `/v1/councils/${WIRRAL}/statements?from=2026-04-01&to=2027-03-31`;
    const statement = (await ok({ url, headers: finance })).json() as Statement;
    const workbook = await readWorkbook(
      (await ok({ url, headers: { ...finance, accept: XLSX } })).rawPayload,
    );
    expect(statement.homes.length).toBe(2);

    const summary = sheetCells(workbook.getWorksheet('Summary')!, 6);
    expect(summary[0]!.map((cell) => cell.value)).toEqual([
      'Home',
      'Placements',
      'Days charged',
      'Days not priced',
      'Total',
      'Days held over',
    ]);
    statement.homes.forEach((home, index) => {
      const [name, placements, days, unpriced, total, heldOver] = summary[1 + index]!;
      expectCell(name!, 'text', home.homeName, 'home');
      expectCell(placements!, 'integer', String(home.placements), 'placements');
      expectCell(days!, 'integer', String(home.daysCharged), 'days charged');
      expectCell(unpriced!, 'integer', String(home.unpricedDays), 'days not priced');
      expectCell(total!, 'money', home.total, 'total', FORMATS.pounds);
      expectCell(heldOver!, 'integer', String(home.heldOverDays), 'days held over');
    });
    const totalRow = summary[1 + statement.homes.length]!;
    expect(String(totalRow[0]!.value)).toMatch(/^Total for Wirral/);
    expectCell(totalRow[4]!, 'money', statement.total, 'statement total', FORMATS.pounds);
    expect(
      spreadsheetSum(
        summary.slice(1, 1 + statement.homes.length).map((row) => row[4]!),
        2,
      ),
    ).toBe(statement.total);

    for (const home of statement.homes) {
      const rows = sheetCells(workbook.getWorksheet(home.homeName)!, 9).slice(1);
      const lines = statement.placements
        .filter((placement) => placement.homeId === home.homeId)
        .flatMap((placement) => [
          ...placement.lines.map((line) => ({ placement, line })),
          { placement, line: null },
        ]);
      expect(rows).toHaveLength(lines.length + 1);
      lines.forEach(({ placement, line }, index) => {
        const [reference, description, from, to, days, version, weekly, amount, heldOver] = rows[index]!;
        const where = `${home.homeName}[${index}]`;
        // a reference of digits (00123) stays text with its leading zeros
        expectCell(reference!, 'text', placement.reference, `${where} reference`);
        if (line === null) {
          expect(description!.value).toBe('Placement total');
          expectCell(amount!, 'money', placement.total, `${where} placement total`, FORMATS.pounds);
          return;
        }
        expectCell(description!, 'text', line.description, `${where} line`);
        expectCell(from!, 'date', line.from, `${where} from`);
        expectCell(to!, 'date', line.to, `${where} to`);
        expectCell(days!, 'integer', String(line.days), `${where} days`);
        expectCell(version!, 'integer', String(line.scheduleVersion), `${where} version`);
        expectCell(weekly!, 'money', line.weeklyRate, `${where} weekly rate`, FORMATS.pounds);
        expectCell(amount!, 'money', line.amount, `${where} amount`, FORMATS.pounds);
        expect(heldOver!.value, `${where} held over`).toBe(line.heldOver);
      });
      const total = rows.at(-1)!;
      expect(total[1]!.value).toBe('Home total');
      expectCell(total[7]!, 'money', home.total, 'home total', FORMATS.pounds);
      const lineAmounts = rows.filter((_row, index) => lines[index]?.line).map((row) => row[7]!);
      expect(spreadsheetSum(lineAmounts, 2)).toBe(home.total);
    }
    expect(
      statement.placements.some((placement) => placement.reference === '00123' && placement.lines.length > 0),
    ).toBe(true);
  });

  it("gives the council's reconciliation statement money, percentages, dates and a count, as JSON and CSV", async () => {
    const frozen = await inject({
      method: 'POST',
      url: '/v1/reconciliations',
      headers: finance,
      payload: { organisationId, from: '2026-04-01', to: '2027-03-31' },
    });
    expect(frozen.statusCode, frozen.body).toBe(201);
    const url = `/v1/reconciliations/${frozen.json().id}/statements/${WIRRAL}`;
    const statement = (await ok({ url, headers: finance })).json() as ReconciliationStatement;
    const csv = parse((await ok({ url, headers: { ...finance, accept: 'text/csv' } })).body, {
      columns: true,
    }) as Array<{ item: string; value: string }>;
    const workbook = await readWorkbook(
      (await ok({ url, headers: { ...finance, accept: XLSX } })).rawPayload,
    );
    const rows = sheetCells(workbook.getWorksheet('Reconciliation')!, 2);
    expect(rows[0]!.map((cell) => cell.value)).toEqual(['Item', 'Value']);
    // item and value rows, then an empty row and the rule
    expect(rows.at(-1)!.map((cell) => cell.value)).toEqual([statement.rule, null]);
    const items = new Map(rows.slice(1, -1).map(([item, value]) => [String(item!.value), value!]));

    // a rebate is due and a related party was paid above market: every kind of row is there
    expect(new Dec(statement.rebate).gt(0)).toBe(true);
    expect(statement.provider.relatedPartyExcess).toBe('3000.00');
    const expected: Array<[string, Kind, string | null]> = [
      ['Council', 'text', WIRRAL],
      ['Period from', 'date', statement.period.start],
      ['Period to', 'date', statement.period.end],
      ['Settlement rule version', 'integer', String(statement.ruleVersion)],
      ['Superseded by', 'text', 'not superseded'],
      ['Charged to the council', 'money', statement.charged],
      ['Share of the excess', 'percent', statement.share],
      ['Rebate due to the council', 'money', statement.rebate],
      ...statement.homes.flatMap(
        (home): Array<[string, Kind, string | null]> => [
          [`Charged by home ${home.homeId}`, 'money', home.charged],
          ...(home.rebate === null
            ? []
            : [[`Rebate due from home ${home.homeId}`, 'money', home.rebate] as [string, Kind, string]]),
        ],
      ),
      ['Cap tested on', 'text', 'home'],
      ['Provider income', 'money', statement.provider.income],
      ['Provider actual cost', 'money', statement.provider.actualCost],
      ['Realised surplus', 'money', statement.provider.realisedSurplus],
      [
        'Paid to related parties above market (counted as surplus)',
        'money',
        statement.provider.relatedPartyExcess,
      ],
      ['Adjusted cost (actual cost less that excess)', 'money', statement.provider.adjustedCost],
      ['Adjusted surplus (the surplus the cap is tested on)', 'money', statement.provider.adjustedSurplus],
      ['Surplus cap (on cost)', 'percent', statement.provider.capRate],
      ['Allowed surplus', 'money', statement.provider.allowedSurplus],
      ['Excess returned to councils', 'money', statement.provider.excess],
      ['Outcome', 'text', statement.provider.outcome],
      ['Reconciliation hash (SHA-256)', 'text', statement.hash],
    ];
    expect([...items.keys()]).toEqual(expected.map(([item]) => item));
    for (const [item, kind, value] of expected)
      expectCell(items.get(item)!, kind, value, item, FORMATS.pounds);
    expect(statement.homes.length).toBe(2);

    // the CSV's figures, item by item (its period is one item, `start to end`)
    for (const { item, value } of csv) {
      if (item === 'Period') {
        expect(value).toBe(
          `${dayOf(items.get('Period from')!.value)} to ${dayOf(items.get('Period to')!.value)}`,
        );
        continue;
      }
      const kind = expected.find(([name]) => name === item)![1];
      expectCell(items.get(item)!, kind, value, `CSV ${item}`, FORMATS.pounds);
    }
    expect(csv).toHaveLength(expected.length - 1);
  });
});

interface Totals {
  homes: number;
  registeredPlaces: number;
  occupancy: { achieved: string | null; planned: string | null };
  heldOverDays: number;
  income: { total: string };
  actualCosts: { total: string };
  surplus: {
    realised: string;
    rateOnCost: string | null;
    allowed: string | null;
    excess: string | null;
    shortfall: string | null;
  };
  rebates: { total: string | null };
  staffing: { headcount: number; fte: string };
}
interface OrganisationFacts {
  id: string;
  name: string;
  legalForm: string;
  companiesHouseNumber: string | null;
  capRate: string;
  capScope: string;
  status: string;
  outcome: string;
  missingMonths: unknown[];
}
interface Statement {
  total: string;
  homes: Array<{
    homeId: string;
    homeName: string;
    placements: number;
    daysCharged: number;
    unpricedDays: number;
    heldOverDays: number;
    total: string;
  }>;
  placements: Array<{
    homeId: string;
    reference: string;
    total: string;
    lines: Array<{
      description: string;
      from: string;
      to: string;
      days: number;
      scheduleVersion: number;
      weeklyRate: string;
      amount: string;
      heldOver: boolean;
    }>;
  }>;
}
interface ReconciliationStatement {
  period: { start: string; end: string };
  ruleVersion: number;
  charged: string;
  share: string;
  rebate: string;
  homes: Array<{ homeId: string; charged: string; rebate: string | null }>;
  provider: Record<
    | 'income'
    | 'actualCost'
    | 'realisedSurplus'
    | 'relatedPartyExcess'
    | 'adjustedCost'
    | 'adjustedSurplus'
    | 'capRate'
    | 'allowedSurplus'
    | 'excess'
    | 'outcome',
    string | null
  >;
  hash: string;
  rule: string;
}

/** The summary's figures of a provider's (or all providers') totals, as the JSON states them. */
function summaryFigures(totals: Totals): Record<string, string | number | null> {
  return {
    financial_year: '2026-27',
    homes: totals.homes,
    registered_places: totals.registeredPlaces,
    occupancy_achieved: totals.occupancy.achieved,
    occupancy_planned: totals.occupancy.planned,
    held_over_days: totals.heldOverDays,
    income: totals.income.total,
    actual_cost: totals.actualCosts.total,
    realised_surplus: totals.surplus.realised,
    surplus_rate_on_cost: totals.surplus.rateOnCost,
    allowed_surplus: totals.surplus.allowed,
    excess: totals.surplus.excess,
    shortfall: totals.surplus.shortfall,
    rebates_due: totals.rebates.total,
    headcount_total: totals.staffing.headcount,
    fte_total: totals.staffing.fte,
  };
}
