import { createHash, type Hash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { RequestContext } from '../../core/context.js';
import { assertOrganisation } from '../../core/principal.js';
import type { DatabaseHandle } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { canonicalJson, signHash } from '../../domain/proofs.js';
import {
  ANNUAL_RETURN_SCHEMA,
  buildOrganisationReturn,
  type HomeReturn,
  type OrganisationReturn,
  STAFF_GROUPS,
  sumFigures,
  type Totals,
} from '../../domain/returns/index.js';
import { SETTLEMENT_RULE } from '../../domain/settlement/index.js';
import { CSV_NEEDS_QUOTES, safeCell } from '../../formats/csv.js';
import { type Spool, spool } from '../../formats/spool.js';
import { safeSheetName } from '../../formats/spreadsheet.js';
import {
  type CellKind,
  type CellValue,
  cellValue,
  FIXED_ZIP_TIME,
  kindsOf,
  loadExcel,
  numFmtOf,
  workbookProperties,
} from '../../formats/xlsx.js';
import { fixZipTimestamps } from '../../formats/zip-timestamps.js';
import type { SigningKey } from '../fee-schedules/index.js';
import { registerSigningKey, todayInEngland } from '../fee-schedules/index.js';
import { rateTables } from '../rates/index.js';
import { loadBooks, type Period } from '../settlements/index.js';
import { councilNames, organisationExists, organisationIdsAfter, returnFingerprint } from './repository.js';

const RETURN_FORMATS = ['json', 'csv', 'xlsx'] as const;
export type ReturnFormat = (typeof RETURN_FORMATS)[number];
export const RETURN_TABLES = ['costs', 'homes', 'fees', 'councils', 'rebates', 'related-parties'] as const;
export type ReturnTable = (typeof RETURN_TABLES)[number];

/**
 * Organisations built per database round (and one round read ahead): bounds memory by the chunk, not
 * by the country. 10 rather than 50 took the all-providers export's peak heap from ~100 to ~70 MiB
 * for 12% more time (npm run bench:returns).
 */
const CHUNK = 10;

type Db = Kysely<Database>;

/** A financial year's label: YYYY-YY with the second year following the first, e.g. 2026-27. */
export function isFinancialYear(label: string): boolean {
  const match = /^(\d{4})-(\d{2})$/.exec(label);
  if (!match) return false;
  const start = Number(match[1]);
  return start >= 2000 && start <= 2098 && (start + 1) % 100 === Number(match[2]);
}

/** "2026-27" → 1 April 2026 to 31 March 2027. */
export function financialYearPeriod(label: string): Period {
  const start = Number(label.slice(0, 4));
  return { start: `${start}-04-01`, end: `${start + 1}-03-31` };
}

export interface ReturnScope {
  financialYear: string;
  period: Period;
  /** The day the return is made (England): before the year's end it is provisional. */
  asOf: string;
  /** One organisation, or null for every provider (regulator and admin only). */
  organisationId: string | null;
}

/**
 * Runs a read of the export: all in the one snapshot of the caller (PostgreSQL), or each read in a
 * short snapshot of its own (PGlite, whose one connection a long snapshot would hold from everyone).
 */
export type Reader = <T>(read: (db: Db) => Promise<T>) => Promise<T>;

/** Every read in the given database or transaction. */
export const readingFrom =
  (db: Db): Reader =>
  (read) =>
    read(db);

/**
 * Each organisation's return in id order, a chunk of organisations per round, the next read ahead.
 * Each chunk's books are read in one call of `read`, so each organisation is consistent in itself.
 */
export async function* organisationReturns(
  read: Reader,
  scope: ReturnScope,
): AsyncGenerator<OrganisationReturn> {
  const names = await read((db) => councilNames(db));
  const tables = rateTables();
  const load = (ids: string[]) => read((db) => loadBooks(db, ids, scope.period));
  const after = (id: string | null) => read((db) => organisationIdsAfter(db, id, CHUNK));
  let ids = scope.organisationId ? [scope.organisationId] : await after(null);
  let pending = load(ids);
  while (ids.length > 0) {
    const inputs = await pending;
    const nextIds = scope.organisationId || ids.length < CHUNK ? [] : await after(ids.at(-1)!);
    pending = load(nextIds);
    for (const books of inputs) {
      yield buildOrganisationReturn({
        ...books,
        financialYear: scope.financialYear,
        councilNames: names,
        asOf: scope.asOf,
        rateTables: tables,
      });
    }
    ids = nextIds;
  }
}

// ── writers: each yields the body in pieces; `unhashed` pieces are left out of the content hash ──

export interface Piece {
  data: string | Buffer;
  unhashed?: boolean;
}

/**
 * The return as RFC 8785 canonical JSON (keys sorted, no spaces), written an organisation at a time.
 * The hash is over the document without its `generatedAt` member.
 */
export async function* jsonPieces(
  scope: ReturnScope,
  generatedAt: string,
  returns: AsyncIterable<OrganisationReturn>,
): AsyncGenerator<Piece> {
  yield { data: `{"financialYear":${canonicalJson(scope.financialYear)},` };
  yield { data: `"generatedAt":${canonicalJson(generatedAt)},`, unhashed: true };
  yield { data: '"organisations":[' };
  const totals: Totals[] = [];
  let first = true;
  for await (const organisation of returns) {
    yield { data: (first ? '' : ',') + canonicalJson(organisation) };
    totals.push(organisation.totals);
    first = false;
  }
  const grand = { organisations: totals.length, ...sumFigures(totals, {}) };
  yield {
    data: `],"period":${canonicalJson(scope.period)},"rule":${canonicalJson(SETTLEMENT_RULE)},"schema":${canonicalJson(ANNUAL_RETURN_SCHEMA)},"totals":${canonicalJson(grand)}}`,
  };
}

const CSV_HEADERS: Record<ReturnTable, string[]> = {
  costs: [
    'financial_year',
    'organisation_id',
    'organisation_name',
    'home_id',
    'ofsted_urn',
    'home_name',
    'category',
    'code',
    'amount',
  ],
  homes: [
    'financial_year',
    'organisation_id',
    'organisation_name',
    'legal_form',
    'companies_house_number',
    'home_id',
    'ofsted_urn',
    'home_name',
    'host_council_code',
    'host_council_name',
    'registered_places',
    'open_from',
    'open_to',
    'place_days',
    'occupied_days',
    'occupancy_achieved',
    'occupancy_planned',
    'placements',
    'unpriced_days',
    'held_over_days',
    'fee_versions',
    'income',
    'actual_cost',
    'cost_staffing',
    'cost_property',
    'cost_running',
    'cost_central',
    'cost_enhancement',
    'realised_surplus',
    'surplus_rate_on_cost',
    'surplus_share_of_income',
    'cap_rate',
    'cap_scope',
    'cap_tested',
    'allowed_surplus',
    'excess',
    'shortfall',
    'outcome',
    'missing_months',
    'rebates_due',
    ...STAFF_GROUPS.flatMap((group) => [`headcount_${group}`, `fte_${group}`]),
    'headcount_total',
    'fte_total',
    'agency_share_of_cover',
  ],
  fees: [
    'financial_year',
    'organisation_id',
    'home_id',
    'ofsted_urn',
    'fee_schedule_id',
    'version',
    'period_label',
    'effective_from',
    'in_force_from',
    'in_force_to',
    'days_in_force',
    'weekly_fee_per_child',
    'surplus_rate',
    'hash',
  ],
  councils: [
    'financial_year',
    'organisation_id',
    'home_id',
    'ofsted_urn',
    'council_code',
    'council_name',
    'income',
    'rebate_due',
  ],
  rebates: [
    'financial_year',
    'organisation_id',
    'organisation_name',
    'cap_scope',
    'status',
    'outcome',
    'council_code',
    'council_name',
    'charged',
    'share',
    'rebate_due',
  ],
  // method §7: one row per home, related party and code, with the home's and the provider's adjusted figures
  'related-parties': [
    'financial_year',
    'organisation_id',
    'organisation_name',
    'cap_scope',
    'home_id',
    'ofsted_urn',
    'home_name',
    'party_id',
    'party_name',
    'relationship',
    'category',
    'code',
    'paid',
    'allowance',
    'excess',
    'home_related_party_excess',
    'home_adjusted_cost',
    'home_adjusted_surplus',
    'organisation_related_party_excess',
    'organisation_adjusted_cost',
    'organisation_adjusted_surplus',
  ],
};

type Cell = string | number | null;

function homeRow(year: string, organisation: OrganisationReturn, home: HomeReturn): Cell[] {
  const category = (name: string) =>
    home.actualCosts.byCategory.find((line) => line.category === name)?.amount ?? '0.00';
  return [
    year,
    organisation.id,
    organisation.name,
    organisation.legalForm,
    organisation.companiesHouseNumber,
    home.id,
    home.ofstedUrn,
    home.name,
    home.hostCouncil.code,
    home.hostCouncil.name,
    home.registeredPlaces,
    home.openFrom,
    home.openTo,
    home.occupancy.placeDays,
    home.occupancy.occupiedDays,
    home.occupancy.achieved,
    home.occupancy.planned,
    home.placements,
    home.unpricedDays,
    home.heldOverDays,
    home.fees.length,
    home.income.total,
    home.actualCosts.total,
    category('staffing'),
    category('property'),
    category('running'),
    category('central'),
    category('enhancement'),
    home.surplus.realised,
    home.surplus.rateOnCost,
    home.surplus.shareOfIncome,
    home.capRate,
    organisation.capScope,
    home.capTested ? 'true' : 'false',
    home.surplus.allowed,
    home.surplus.excess,
    home.surplus.shortfall,
    home.outcome,
    home.missingMonths.join(' '),
    home.rebates.total,
    ...home.staffing.groups.flatMap((group) => [group.headcount, group.fte]),
    home.staffing.headcount,
    home.staffing.fte,
    home.agencyShareOfCover,
  ];
}

/** The rows of one organisation for a table (the long cost table: one row per home × code). */
export function tableRows(table: ReturnTable, year: string, organisation: OrganisationReturn): Cell[][] {
  if (table === 'rebates') return rebateRows(year, organisation);
  const rowsOfHome = HOME_ROWS[table];
  return organisation.homes.flatMap((home) => rowsOfHome(year, organisation, home));
}

/** What the provider owes each council, as settled at the level the cap is tested on. */
function rebateRows(year: string, organisation: OrganisationReturn): Cell[][] {
  return organisation.totals.rebates.byCouncil.map((line) => [
    year,
    organisation.id,
    organisation.name,
    organisation.capScope,
    organisation.status,
    organisation.outcome,
    line.councilCode,
    line.councilName,
    line.charged,
    line.share,
    line.rebate,
  ]);
}

type HomeRows = (year: string, organisation: OrganisationReturn, home: HomeReturn) => Cell[][];

/** The rows of one home for each table but `rebates` (which is the provider's). */
const HOME_ROWS: Record<Exclude<ReturnTable, 'rebates'>, HomeRows> = {
  'related-parties': relatedPartyRows,
  homes: (year, organisation, home) => [homeRow(year, organisation, home)],
  costs: costRows,
  fees: feeRows,
  councils: councilRows,
};

/** A home's related-party transactions, one row per party and code, with the home's and provider's totals. */
function relatedPartyRows(year: string, organisation: OrganisationReturn, home: HomeReturn): Cell[][] {
  return home.relatedPartyTransactions.map((line) => [
    year,
    organisation.id,
    organisation.name,
    organisation.capScope,
    home.id,
    home.ofstedUrn,
    home.name,
    line.partyId,
    line.partyName,
    line.relationship,
    line.category,
    line.code,
    line.paid,
    line.allowance,
    line.excess,
    home.relatedParties.excess,
    home.relatedParties.adjustedCost,
    home.relatedParties.adjustedSurplus,
    organisation.totals.relatedParties.excess,
    organisation.totals.relatedParties.adjustedCost,
    organisation.totals.relatedParties.adjustedSurplus,
  ]);
}

/** A home's actual costs, one row per code. */
function costRows(year: string, organisation: OrganisationReturn, home: HomeReturn): Cell[][] {
  return home.actualCosts.byCode.map((line) => [
    year,
    organisation.id,
    organisation.name,
    home.id,
    home.ofstedUrn,
    home.name,
    line.category,
    line.code,
    line.amount,
  ]);
}

/** A home's fee versions in force in the year. */
function feeRows(year: string, organisation: OrganisationReturn, home: HomeReturn): Cell[][] {
  return home.fees.map((fee) => [
    year,
    organisation.id,
    home.id,
    home.ofstedUrn,
    fee.feeScheduleId,
    fee.version,
    fee.periodLabel,
    fee.effectiveFrom,
    fee.inForceFrom,
    fee.inForceTo,
    fee.daysInForce,
    fee.weeklyFeePerChild,
    fee.surplusRate,
    fee.hash,
  ]);
}

/** A home's income by council, with the home's own rebate to each council. */
function councilRows(year: string, organisation: OrganisationReturn, home: HomeReturn): Cell[][] {
  // a home's own rebates exist only where the cap is tested on each home; else the column is empty
  const rebates = new Map(home.rebates.byCouncil.map((line) => [line.councilCode, line.rebate]));
  return home.income.byCouncil.map((line) => [
    year,
    organisation.id,
    home.id,
    home.ofstedUrn,
    line.councilCode,
    line.councilName,
    line.amount,
    home.rebates.total === null ? null : (rebates.get(line.councilCode) ?? '0.00'),
  ]);
}

function csvLine(cells: readonly Cell[]): string {
  return `${cells
    .map((cell) => {
      const text = cell === null ? '' : safeCell(String(cell));
      return CSV_NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',')}\r\n`;
}

/** RFC 4180 CSV (CRLF, quoted where needed, formula-looking cells defused), an organisation at a time. */
export async function* csvPieces(
  scope: ReturnScope,
  table: ReturnTable,
  returns: AsyncIterable<OrganisationReturn>,
): AsyncGenerator<Piece> {
  yield { data: csvLine(CSV_HEADERS[table]) };
  for await (const organisation of returns) {
    const rows = tableRows(table, scope.financialYear, organisation);
    if (rows.length > 0) yield { data: rows.map(csvLine).join('') };
  }
}

// ── XLSX ────────────────────────────────────────────────────────────────────────────────────────

// Zip entries carry a modification time, which the streaming writer (archiver) sets to "now". The
// workbook's entries get FIXED_ZIP_TIME instead (rewritten as the zip streams out, see zip-timestamps),
// so the same data gives the same bytes.

/** The sheets kept until every organisation has been read, in the order of their tabs. */
const HELD = ['homes', 'fees', 'councils', 'rebates', 'related-parties'] as const;
/**
 * What each column of the workbook holds, in every sheet (but the summary's missing_months): money,
 * ratios as percentages, FTE as a decimal, counts as integers, dates as real dates; identifiers (ids,
 * Companies House numbers, URNs, council codes, hashes), names, labels (the financial year `2025-26`,
 * the period label) and words (status, outcome, `true`/`false`) stay text.
 */
const COLUMN_KINDS: Readonly<Record<string, CellKind>> = {
  financial_year: 'text',
  organisation_id: 'text',
  organisation_name: 'text',
  legal_form: 'text',
  companies_house_number: 'text',
  home_id: 'text',
  ofsted_urn: 'text',
  home_name: 'text',
  host_council_code: 'text',
  host_council_name: 'text',
  council_code: 'text',
  council_name: 'text',
  category: 'text',
  code: 'text',
  fee_schedule_id: 'text',
  period_label: 'text',
  hash: 'text',
  cap_scope: 'text',
  cap_tested: 'text',
  status: 'text',
  outcome: 'text',
  // the months (YYYY-MM) missing, space-separated; in the summary, how many (SUMMARY_KINDS)
  missing_months: 'text',
  party_id: 'text',
  party_name: 'text',
  relationship: 'text',
  homes: 'integer',
  registered_places: 'integer',
  place_days: 'integer',
  occupied_days: 'integer',
  placements: 'integer',
  unpriced_days: 'integer',
  held_over_days: 'integer',
  fee_versions: 'integer',
  version: 'integer',
  days_in_force: 'integer',
  ...Object.fromEntries(STAFF_GROUPS.map((group) => [`headcount_${group}`, 'integer' as const])),
  headcount_total: 'integer',
  ...Object.fromEntries(STAFF_GROUPS.map((group) => [`fte_${group}`, 'decimal' as const])),
  fte_total: 'decimal',
  open_from: 'date',
  open_to: 'date',
  effective_from: 'date',
  in_force_from: 'date',
  in_force_to: 'date',
  occupancy_achieved: 'percent',
  occupancy_planned: 'percent',
  surplus_rate_on_cost: 'percent',
  surplus_share_of_income: 'percent',
  cap_rate: 'percent',
  surplus_rate: 'percent',
  share: 'percent',
  agency_share_of_cover: 'percent',
  amount: 'money',
  income: 'money',
  actual_cost: 'money',
  cost_staffing: 'money',
  cost_property: 'money',
  cost_running: 'money',
  cost_central: 'money',
  cost_enhancement: 'money',
  realised_surplus: 'money',
  allowed_surplus: 'money',
  excess: 'money',
  shortfall: 'money',
  rebates_due: 'money',
  weekly_fee_per_child: 'money',
  rebate_due: 'money',
  charged: 'money',
  paid: 'money',
  allowance: 'money',
  home_related_party_excess: 'money',
  home_adjusted_cost: 'money',
  home_adjusted_surplus: 'money',
  organisation_related_party_excess: 'money',
  organisation_adjusted_cost: 'money',
  organisation_adjusted_surplus: 'money',
};
/** The summary's `missing_months` is the organisation's count of missing months, not the list. */
const SUMMARY_KINDS: Readonly<Record<string, CellKind>> = { ...COLUMN_KINDS, missing_months: 'integer' };
const SUMMARY_HEADER = [
  'financial_year',
  'organisation_id',
  'organisation_name',
  'legal_form',
  'companies_house_number',
  'homes',
  'registered_places',
  'occupancy_achieved',
  'occupancy_planned',
  'held_over_days',
  'income',
  'actual_cost',
  'realised_surplus',
  'surplus_rate_on_cost',
  'cap_rate',
  'cap_scope',
  'status',
  'outcome',
  'missing_months',
  'allowed_surplus',
  'excess',
  'shortfall',
  'rebates_due',
  'headcount_total',
  'fte_total',
];

function summaryRow(year: string, organisation: OrganisationReturn | null, totals: Totals): Cell[] {
  return [
    year,
    organisation?.id ?? 'ALL',
    organisation?.name ?? 'All providers',
    organisation?.legalForm ?? null,
    organisation?.companiesHouseNumber ?? null,
    totals.homes,
    totals.registeredPlaces,
    totals.occupancy.achieved,
    totals.occupancy.planned,
    totals.heldOverDays,
    totals.income.total,
    totals.actualCosts.total,
    totals.surplus.realised,
    totals.surplus.rateOnCost,
    organisation?.capRate ?? null,
    organisation?.capScope ?? null,
    organisation?.status ?? null,
    organisation?.outcome ?? null,
    organisation ? organisation.missingMonths.length : null,
    totals.surplus.allowed,
    totals.surplus.excess,
    totals.surplus.shortfall,
    totals.rebates.total,
    totals.staffing.headcount,
    totals.staffing.fte,
  ];
}

/** A row's cells as the workbook holds them: each by the kind of its column (see COLUMN_KINDS). */
function xlsxValues(kinds: readonly CellKind[], cells: readonly Cell[]): CellValue[] {
  return cells.map((cell, index) => cellValue(kinds[index]!, cell));
}

/**
 * The return as a workbook (sheets summary, homes, fees, councils, rebates, related-parties, costs) from exceljs's streaming
 * writer. The long cost sheet is written as organisations arrive; the other sheets have one row per
 * home (or fee version, or council) and are kept until the end, then the tabs are put in reading order.
 */
export async function* xlsxPieces(
  scope: ReturnScope,
  returns: AsyncIterable<OrganisationReturn>,
): AsyncGenerator<Piece> {
  const ExcelJS = await loadExcel();
  const out = fixZipTimestamps(FIXED_ZIP_TIME);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
    zip: { zlib: { level: 6 } },
    ...workbookProperties(scope.period.end),
  } as ConstructorParameters<typeof ExcelJS.stream.xlsx.WorkbookWriter>[0]);
  const write = async () => {
    const sheetNames = new Set<string>();
    const sheet = (name: string, header: readonly string[], kinds: readonly CellKind[]) => {
      const worksheet = workbook.addWorksheet(safeSheetName(name, sheetNames), {
        views: [{ state: 'frozen', ySplit: 1 }],
      });
      // the column's number format is every cell's below the header (exceljs gives it to each new cell)
      worksheet.columns = header.map((key, index) => {
        const numFmt = numFmtOf(kinds[index]!);
        return {
          header: key,
          key,
          width: Math.max(12, key.length + 2),
          ...(numFmt ? { style: { numFmt } } : {}),
        };
      });
      return worksheet;
    };
    const costKinds = kindsOf(CSV_HEADERS.costs, COLUMN_KINDS);
    const costs = sheet('costs', CSV_HEADERS.costs, costKinds);
    const held: Record<(typeof HELD)[number], Cell[][]> = {
      homes: [],
      fees: [],
      councils: [],
      rebates: [],
      'related-parties': [],
    };
    const summary: Cell[][] = [];
    const totals: Totals[] = [];
    for await (const organisation of returns) {
      for (const row of tableRows('costs', scope.financialYear, organisation)) {
        costs.addRow(xlsxValues(costKinds, row)).commit();
      }
      for (const table of HELD) held[table].push(...tableRows(table, scope.financialYear, organisation));
      summary.push(summaryRow(scope.financialYear, organisation, organisation.totals));
      totals.push(organisation.totals);
    }
    costs.commit();
    if (summary.length > 1) summary.push(summaryRow(scope.financialYear, null, sumFigures(totals, {})));
    const summaryKinds = kindsOf(SUMMARY_HEADER, SUMMARY_KINDS);
    const sheets = [sheet('summary', SUMMARY_HEADER, summaryKinds)];
    for (const row of summary) sheets[0]!.addRow(xlsxValues(summaryKinds, row)).commit();
    sheets[0]!.commit();
    for (const table of HELD) {
      const kinds = kindsOf(CSV_HEADERS[table], COLUMN_KINDS);
      const worksheet = sheet(table, CSV_HEADERS[table], kinds);
      for (const row of held[table]) worksheet.addRow(xlsxValues(kinds, row)).commit();
      held[table] = [];
      worksheet.commit();
      sheets.push(worksheet);
    }
    // tabs in reading order: summary, homes, fees, councils, rebates, related-parties, then the long cost sheet
    const internal = workbook as unknown as { _worksheets: unknown[] };
    internal._worksheets = [...sheets, costs];
    await workbook.commit();
  };
  const done = write().catch((error: unknown) => {
    out.destroy(error as Error);
  });
  for await (const chunk of out) yield { data: chunk as Buffer };
  await done;
}

// ── hashing, signing and polling ────────────────────────────────────────────────────────────────

export interface ReturnProof {
  /** SHA-256 (hex) of the body, without `generatedAt` for JSON. */
  hash: string;
  signature: string;
  keyId: string;
}

/** Passes the pieces through as Buffers while hashing them; `result()` once the last has passed. */
export function hashing(pieces: AsyncIterable<Piece>): {
  body: AsyncGenerator<Buffer>;
  result: Promise<string>;
} {
  const hash: Hash = createHash('sha256');
  let settle!: (value: string) => void;
  let fail!: (error: unknown) => void;
  const result = new Promise<string>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  result.catch(() => undefined);
  async function* body(): AsyncGenerator<Buffer> {
    try {
      for await (const piece of pieces) {
        const bytes = typeof piece.data === 'string' ? Buffer.from(piece.data, 'utf8') : piece.data;
        if (!piece.unhashed) hash.update(bytes);
        yield bytes;
      }
      settle(hash.digest('hex'));
    } catch (error) {
      fail(error);
      throw error;
    }
  }
  return { body: body(), result };
}

const registered = new WeakMap<SigningKey, Promise<void>>();

/**
 * Makes sure the signing key is listed at /.well-known/fee-schedule-keys.json (once per key). Call
 * it before opening the export's snapshot: on PGlite the snapshot holds the only connection.
 */
export function registerReturnKey(ctx: { database: DatabaseHandle }, signingKey: SigningKey): Promise<void> {
  let done = registered.get(signingKey);
  if (!done) {
    done = registerSigningKey(ctx.database.db, signingKey);
    done.catch(() => registered.delete(signingKey));
    registered.set(signingKey, done);
  }
  return done;
}

/** Signs a content hash with the service's key, as fee schedules are signed. */
export function signReturn(signingKey: SigningKey, hash: string): ReturnProof {
  return { hash, signature: signHash(hash, signingKey.privateKey), keyId: signingKey.keyId };
}

/** Content hashes of exports already produced, by what they were produced from. */
const knownHashes = new LRUCache<string, string>({ max: 10_000 });

export interface ReturnVersion {
  /** Identifies the data, the scope and the format: the same tag always gives the same bytes. */
  tag: string;
  lastModified: Date | null;
  /** The content hash when this exact export has been produced before. */
  knownHash: string | undefined;
}

export async function returnVersion(
  db: Db,
  scope: ReturnScope,
  format: ReturnFormat,
  table: ReturnTable,
): Promise<ReturnVersion> {
  const { fingerprint, lastModified } = await returnFingerprint(db, scope.organisationId);
  const tag = createHash('sha256')
    .update(
      [
        ANNUAL_RETURN_SCHEMA,
        scope.financialYear,
        scope.organisationId ?? '*',
        format,
        table,
        // the same data gives another return once the year has ended (provisional → settled)
        scope.asOf > scope.period.end ? 'ended' : 'open',
        fingerprint,
      ].join('\n'),
    )
    .digest('hex')
    .slice(0, 40);
  return { tag, lastModified, knownHash: knownHashes.get(tag) };
}

export function rememberHash(tag: string, hash: string): void {
  knownHashes.set(tag, hash);
}

/** The body of an export as pieces, by format. */
export function exportPieces(
  read: Reader,
  scope: ReturnScope,
  format: ReturnFormat,
  table: ReturnTable,
  generatedAt: string,
): AsyncIterable<Piece> {
  const returns = organisationReturns(read, scope);
  if (format === 'csv') return csvPieces(scope, table, returns);
  if (format === 'xlsx') return xlsxPieces(scope, returns);
  return jsonPieces(scope, generatedAt, returns);
}

// ── producing an export ─────────────────────────────────────────────────────────────────────────

/** The most an all-providers export may spool (a national export is tens of MiB). */
const MAX_EXPORT_BYTES = 2 * 1024 ** 3;

/**
 * The return a principal asks for: a finance key's own organisation when it names none; every
 * provider when no organisation is named (undefined when the principal may not export every provider:
 * only the regulator and admin may).
 */
export function returnScope(
  ctx: RequestContext,
  { financialYear, organisationId }: { financialYear: string; organisationId?: string | undefined },
): ReturnScope | undefined {
  const { principal } = ctx;
  let organisation = organisationId ?? null;
  if (principal.role === 'finance') organisation ??= principal.organisationId;
  if (organisation !== null) assertOrganisation(principal, organisation, 'Organisation');
  if (organisation === null && principal.role !== 'admin' && principal.role !== 'regulator') return undefined;
  return {
    financialYear,
    period: financialYearPeriod(financialYear),
    asOf: todayInEngland(ctx.clock()),
    organisationId: organisation,
  };
}

/** Heavy work run a few at a time (the process's export slots); one more is refused at once. */
export interface WorkLimit {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export interface ReturnRequest {
  scope: ReturnScope;
  format: ReturnFormat;
  table: ReturnTable;
  signingKey: SigningKey;
  /** Ends the work when the client goes away or the time is up. */
  signal: AbortSignal;
  /** How many every-provider exports may be spooled at once. */
  slots: WorkLimit;
  /**
   * Told the version of the data before anything is produced; true when the client's copy is
   * current (then nothing is produced).
   */
  clientHas: (version: ReturnVersion) => boolean;
}

export type ReturnOutcome =
  /** The organisation named does not exist. */
  | { outcome: 'unknown-organisation' }
  /** The client's copy is current. */
  | { outcome: 'not-modified'; version: ReturnVersion }
  /** The whole body (in memory, or spooled to a file for every provider) and its signed hash. */
  | { outcome: 'produced'; proof: ReturnProof; data: Buffer | Spool };

/**
 * Produces an export whole, at the database's speed, before a byte is sent: the snapshot is released
 * before the client reads, so a slow or stalled reader holds nothing but a file. PostgreSQL: one
 * snapshot (repeatable read, read only) for the version and every row. PGlite: one connection for
 * everyone, so each chunk of organisations is read in a short snapshot of its own, other requests
 * between, and the hash is remembered only when nothing changed meanwhile. Call registerReturnKey first.
 */
export async function produceReturn(ctx: RequestContext, request: ReturnRequest): Promise<ReturnOutcome> {
  const { database } = ctx;
  const { scope, format, table, signingKey, signal, slots } = request;
  const generatedAt = ctx.clock().toISOString();
  const oneSnapshot = scope.organisationId !== null || database.engine === 'postgres';
  const snapshot = () =>
    database.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only');

  /**
   * The whole body and its hash. One provider is small: in memory. Every provider: spooled to a
   * private temporary file (removed when sent or abandoned), at most one export per slot at once.
   */
  async function produce(
    read: Reader,
    version: ReturnVersion,
    unchanged: () => Promise<boolean> = async () => true,
  ): Promise<{ hash: string; data: Buffer | Spool }> {
    const { body, result } = hashing(exportPieces(read, scope, format, table, generatedAt));
    let data: Buffer | Spool;
    if (scope.organisationId !== null) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk);
      data = Buffer.concat(chunks);
    } else {
      data = await slots.run(() => spool(body, { maxBytes: MAX_EXPORT_BYTES, signal }));
    }
    try {
      const hash = await result;
      if (await unchanged()) rememberHash(version.tag, hash);
      return { hash, data };
    } catch (error) {
      if (!Buffer.isBuffer(data)) await data.remove(); // never sent: its file would stay behind
      throw error;
    }
  }

  const produced = await snapshot().execute(async (trx) => {
    if (scope.organisationId !== null && !(await organisationExists(trx, scope.organisationId))) {
      return undefined;
    }
    const version = await returnVersion(trx, scope, format, table);
    if (request.clientHas(version)) return { version, body: null };
    if (!oneSnapshot) return { version, body: undefined };
    return { version, body: await produce(readingFrom(trx), version) };
  });
  if (produced === undefined) return { outcome: 'unknown-organisation' };
  if (produced.body === null) return { outcome: 'not-modified', version: produced.version };
  const body =
    produced.body ??
    (await produce(
      async (read) => {
        await yieldToEventLoop(); // other requests between the chunks (see importActuals)
        return snapshot().execute(read);
      },
      produced.version,
      async () => {
        // Read in several snapshots: the hash is remembered only when nothing changed meanwhile.
        const after = await snapshot().execute((trx) => returnVersion(trx, scope, format, table));
        return after.tag === produced.version.tag;
      },
    ));
  return { outcome: 'produced', proof: signReturn(signingKey, body.hash), data: body.data };
}
