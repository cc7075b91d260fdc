import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import { CATEGORY_OF_CODE, type LineCode } from '../../domain/pricing/index.js';
import type { Principal } from '../../http/auth.js';
import type { ProblemIssue } from '../../http/problem.js';

/** Codes a provider may report actual spending against: every cost code of the method. */
const ACTUAL_CODES = new Set(
  Object.entries(CATEGORY_OF_CODE)
    .filter(([, category]) => category !== 'surplus' && category !== 'enhancement')
    .map(([code]) => code),
);
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MONEY = /^-?\d{1,12}(\.\d{1,2})?$/;
const BATCH = 500;
export const MAX_ROWS = 100_000;
const MAX_ISSUES = 100;
/** The code of a nil month: a row saying the home spent nothing that month (§7 complete books). */
export const NIL_CODE = 'NIL';

export interface RawRow {
  month?: unknown;
  code?: unknown;
  nominal_code?: unknown;
  amount?: unknown;
  description?: unknown;
}

/**
 * Imports actual spending for one home inside the caller's transaction, row by row and in batches,
 * so that a file is never held whole. Each month met becomes a new version of that month. Problems
 * are collected with a pointer to the row and column (`/rows/N/column`, N from 1); the caller rolls
 * the transaction back when there are any.
 */
export class ActualsImporter {
  readonly issues: ProblemIssue[] = [];
  private issueCount = 0;
  private rows = 0;
  private readonly months = new Map<string, { importId: string; lines: number; nilRow: number | null }>();
  /** Each month met, written or not: its NIL row and its first row of spending, to refuse a mix. */
  private readonly seen = new Map<string, { nilRow: number | null; firstLine: number | null }>();
  private batch: Database['actual_amounts'][] = [];

  constructor(
    private readonly trx: Transaction<Database>,
    private readonly principal: Principal,
    private readonly home: { id: string; organisation_id: string },
    private readonly mapping: ReadonlyMap<string, string>,
    private readonly source: 'json' | 'csv',
    /** One id for everything this import writes, for an idempotent replay to find it again. */
    readonly batchId: string,
  ) {}

  private problem(row: number, column: string, message: string) {
    this.issueCount += 1;
    if (this.issues.length < MAX_ISSUES)
      this.issues.push({ pointer: column ? `/rows/${row}/${column}` : `/rows/${row}`, message, in: 'body' });
  }

  get totalIssues(): number {
    return this.issueCount;
  }

  async add(raw: RawRow): Promise<void> {
    this.rows += 1;
    const row = this.rows;
    if (row > MAX_ROWS) {
      if (row === MAX_ROWS + 1) this.problem(row, 'month', `an import holds at most ${MAX_ROWS} rows`);
      return;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      this.problem(row, '', 'must be an object with month, code (or nominal_code) and amount');
      return;
    }
    const month = typeof raw.month === 'string' ? raw.month.trim() : '';
    if (!MONTH.test(month)) this.problem(row, 'month', 'must be a month such as 2026-04');
    let code = typeof raw.code === 'string' ? raw.code.trim() : '';
    const nominal = typeof raw.nominal_code === 'string' ? raw.nominal_code.trim() : '';
    if (code === NIL_CODE || (!code && nominal === NIL_CODE)) {
      await this.addNilMonth(raw, row, month);
      return;
    }
    if (!code && nominal) {
      code = this.mapping.get(nominal) ?? '';
      if (!code)
        this.problem(
          row,
          'nominal_code',
          `has no mapping to a method code (set it: PUT /v1/organisations/{id}/nominal-codes)`,
        );
    } else if (!ACTUAL_CODES.has(code)) {
      this.problem(
        row,
        'code',
        code
          ? `is not a cost code of the method (or ${NIL_CODE} for a month with no spending)`
          : 'is required (or give nominal_code)',
      );
    }
    const amount =
      typeof raw.amount === 'string' ? raw.amount.trim() : typeof raw.amount === 'number' ? 'number' : '';
    if (amount === 'number')
      this.problem(row, 'amount', 'must be a decimal string such as "1234.50", not a JSON number');
    else if (!MONEY.test(amount)) {
      this.problem(
        row,
        'amount',
        /^-?\d+\.\d{3,}$/.test(amount)
          ? 'must have at most 2 decimal places'
          : 'must be an amount such as 1234.50',
      );
    }
    const description = typeof raw.description === 'string' ? raw.description.slice(0, 200) : null;
    if (description?.includes('\u0000'))
      this.problem(row, 'description', 'must not contain a NUL character (U+0000)');
    if (MONTH.test(month)) {
      const seen = this.seen.get(month) ?? { nilRow: null, firstLine: null };
      if (seen.nilRow !== null)
        this.problem(
          row,
          'code',
          `is in ${month}, which row ${seen.nilRow} says had no spending (${NIL_CODE})`,
        );
      seen.firstLine ??= row;
      this.seen.set(month, seen);
    }
    if (this.issueCount > 0) return; // once anything is wrong nothing is stored: keep checking, stop writing
    const importId = await this.importFor(`${month}-01`);
    const entry = this.months.get(`${month}-01`)!;
    entry.lines += 1;
    this.batch.push({
      import_id: importId,
      line: row,
      code,
      amount,
      nominal_code: nominal || null,
      description,
    });
    if (this.batch.length >= BATCH) await this.flush();
  }

  /**
   * A nil month: the month is imported as a new version with no lines, so that its books are complete
   * with nothing spent. The amount, if given, must be zero; no other row of the import may be in it.
   */
  private async addNilMonth(raw: RawRow, row: number, month: string): Promise<void> {
    const amount = typeof raw.amount === 'string' ? raw.amount.trim() : raw.amount === undefined ? '' : 'x';
    if (amount !== '' && !/^-?0+(\.0{1,2})?$/.test(amount))
      this.problem(row, 'amount', `must be empty or 0 on a ${NIL_CODE} row (a month with no spending)`);
    if (!MONTH.test(month)) return;
    const seen = this.seen.get(month) ?? { nilRow: null, firstLine: null };
    if (seen.nilRow !== null)
      this.problem(row, 'code', `repeats the ${NIL_CODE} row ${seen.nilRow} for ${month}`);
    else if (seen.firstLine !== null)
      this.problem(
        row,
        'code',
        `${month} has spending in row ${seen.firstLine}: a ${NIL_CODE} month has no other rows`,
      );
    seen.nilRow ??= row;
    this.seen.set(month, seen);
    if (this.issueCount > 0) return;
    await this.importFor(`${month}-01`);
    this.months.get(`${month}-01`)!.nilRow = row;
  }

  private async importFor(month: string): Promise<string> {
    const known = this.months.get(month);
    if (known) return known.importId;
    const previous = await this.trx
      .selectFrom('actuals_imports')
      .select(sql<number>`coalesce(max(version), 0)`.as('version'))
      .where('home_id', '=', this.home.id)
      .where('month', '=', month)
      .executeTakeFirstOrThrow();
    const created = await this.trx
      .insertInto('actuals_imports')
      .values({
        batch_id: this.batchId,
        organisation_id: this.home.organisation_id,
        home_id: this.home.id,
        month,
        version: Number(previous.version) + 1,
        source: this.source,
        imported_by: this.principal.actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    this.months.set(month, { importId: created.id, lines: 0, nilRow: null });
    return created.id;
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    await this.trx.insertInto('actual_amounts').values(rows).execute();
  }

  /** Flushes, then looks for rows repeated exactly (a double export); returns the months written. */
  async finish(): Promise<Array<{ month: string; importId: string; rows: number; nil: boolean }>> {
    if (this.rows === 0) this.problem(1, 'month', 'the import has no rows');
    if (this.issueCount > 0) return [];
    await this.flush();
    const ids = [...this.months.values()].map((m) => m.importId);
    if (ids.length === 0) return [];
    const duplicates = await this.trx
      .selectFrom('actual_amounts')
      .select([sql<number>`max(line)`.as('line'), sql<number>`min(line)`.as('first')])
      .where('import_id', 'in', ids)
      .groupBy(['import_id', 'code', 'nominal_code', 'description', 'amount'])
      .having(sql`count(*)`, '>', 1)
      .orderBy(sql`max(line)`)
      .execute();
    for (const duplicate of duplicates) {
      this.problem(
        Number(duplicate.line),
        'amount',
        `repeats row ${duplicate.first} exactly (the same month, code, description and amount)`,
      );
    }
    return [...this.months.entries()].map(([month, entry]) => ({
      month: month.slice(0, 7),
      importId: entry.importId,
      rows: entry.lines,
      nil: entry.nilRow !== null,
    }));
  }
}

export function isActualCode(code: string): code is LineCode {
  return ACTUAL_CODES.has(code);
}
