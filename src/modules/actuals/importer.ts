import { Decimal } from 'decimal.js';
import { isMonthInRange, MONTH_RANGE_MESSAGE } from '../../core/dates.js';
import type { Issue } from '../../core/errors.js';
import { CATEGORY_OF_CODE, type LineCode } from '../../domain/pricing/index.js';

/** Codes a provider may report actual spending against: every cost code of the method. */
const ACTUAL_CODES = new Set(
  Object.entries(CATEGORY_OF_CODE)
    .filter(([, category]) => category !== 'surplus' && category !== 'enhancement')
    .map(([code]) => code),
);
const MONEY = /^-?\d{1,12}(\.\d{1,2})?$/;
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
  /** JSON: the register reference of the related party paid (method §7). */
  relatedParty?: unknown;
  /** CSV: the same, in the optional column `related_party`. */
  related_party?: unknown;
}

/** A party of the organisation's register, as an import checks a row naming it. */
export interface RegisteredParty {
  /** YYYY-MM-DD: the first and last day the party is related (to: null while it still is). */
  from: string;
  to: string | null;
}

/** Where a row names its related party: `relatedParty` in JSON rows, `related_party` in CSV. */
export type PartyField = 'relatedParty' | 'related_party';

/** One line of spending, checked: `line` is its row number in the import (from 1). */
export interface CheckedLine {
  line: number;
  code: string;
  amount: string;
  nominalCode: string | null;
  description: string | null;
  /** The register reference of the related party the row pays, or null. */
  relatedParty: string | null;
}

/** A month of an import that passed every check: its lines, or none for a nil month. */
export interface CheckedMonth {
  /** The month's first day, YYYY-MM-01. */
  month: string;
  lines: CheckedLine[];
  /** The row of its NIL line, for a month imported as having no spending. */
  nilRow: number | null;
}

/**
 * Checks an import of actual spending for one home, row by row, without touching the database: the
 * file is read (at the client's pace) before anything is written, so that a slow or abandoned upload
 * holds no transaction. Problems are collected with a pointer to the row and column (`/rows/N/column`,
 * N from 1); when there are none, `months()` gives what to write.
 */
export class ActualsChecker {
  readonly issues: Issue[] = [];
  private issueCount = 0;
  private rows = 0;
  /** Each month met: its NIL row, its first row of spending, and its lines. */
  private readonly seen = new Map<
    string,
    { nilRow: number | null; firstLine: number | null; lines: CheckedLine[] }
  >();
  /** Rows alike in month, code, nominal code, description and amount: the first and last row of each. */
  private readonly alike = new Map<string, { first: number; last: number; count: number }>();

  /**
   * `parties` is the organisation's register by reference; `partyField` where a row of this format
   * names its related party (rows of the other format's spelling are refused, never ignored).
   */
  constructor(
    private readonly mapping: ReadonlyMap<string, string>,
    private readonly parties: ReadonlyMap<string, RegisteredParty> = new Map(),
    private readonly partyField: PartyField = 'relatedParty',
  ) {}

  private problem(row: number, column: string, message: string) {
    this.issueCount += 1;
    if (this.issues.length < MAX_ISSUES)
      this.issues.push({ pointer: column ? `/rows/${row}/${column}` : `/rows/${row}`, message, in: 'body' });
  }

  get totalIssues(): number {
    return this.issueCount;
  }

  add(raw: RawRow): void {
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
    if (!isMonthInRange(month))
      this.problem(
        row,
        'month',
        `must be a month such as 2026-04 (${MONTH_RANGE_MESSAGE.replace('must be ', '')})`,
      );
    const given = typeof raw.code === 'string' ? raw.code.trim() : '';
    const nominal = typeof raw.nominal_code === 'string' ? raw.nominal_code.trim() : '';
    const relatedParty = this.relatedPartyOf(raw, row, month);
    if (given === NIL_CODE || (!given && nominal === NIL_CODE)) {
      this.addNilMonth(raw, row, month, relatedParty);
      return;
    }
    const code = this.methodCodeOf(given, nominal, row);
    const amount = this.amountOf(raw, row);
    const description = typeof raw.description === 'string' ? raw.description.slice(0, 200) : null;
    if (description?.includes('\u0000'))
      this.problem(row, 'description', 'must not contain a NUL character (U+0000)');
    if (!isMonthInRange(month)) return;
    const seen = this.monthOf(month);
    if (seen.nilRow !== null)
      this.problem(
        row,
        'code',
        `is in ${month}, which row ${seen.nilRow} says had no spending (${NIL_CODE})`,
      );
    seen.firstLine ??= row;
    if (this.issueCount > 0 || amount === null) return; // once anything is wrong nothing is kept: keep checking
    const line = { line: row, code, amount, nominalCode: nominal || null, description, relatedParty };
    seen.lines.push(line);
    this.countAlike(month, nominal, line);
  }

  /**
   * The method code of a row: its `code`, or the code its `nominal_code` is mapped to when it has no
   * `code`; a problem (and an empty or unknown code) when neither gives a cost code of the method.
   */
  private methodCodeOf(given: string, nominal: string, row: number): string {
    if (!given && nominal) {
      const code = this.mapping.get(nominal) ?? '';
      if (!code)
        this.problem(
          row,
          'nominal_code',
          `has no mapping to a method code (set it: PUT /v1/organisations/{id}/nominal-codes)`,
        );
      return code;
    }
    if (!ACTUAL_CODES.has(given)) {
      this.problem(
        row,
        'code',
        given
          ? `is not a cost code of the method (or ${NIL_CODE} for a month with no spending)`
          : 'is required (or give nominal_code)',
      );
    }
    return given;
  }

  /** A row's amount as written (a decimal string, at most 2 places); null, with a problem, otherwise. */
  private amountOf(raw: RawRow, row: number): string | null {
    // a JSON number is marked 'number' (and so, as always, is the text "number")
    const amount =
      typeof raw.amount === 'string' ? raw.amount.trim() : typeof raw.amount === 'number' ? 'number' : '';
    if (amount === 'number') {
      this.problem(row, 'amount', 'must be a decimal string such as "1234.50", not a JSON number');
      return null;
    }
    if (MONEY.test(amount)) return amount;
    this.problem(
      row,
      'amount',
      /^-?\d+\.\d{3,}$/.test(amount)
        ? 'must have at most 2 decimal places'
        : 'must be an amount such as 1234.50',
    );
    return null;
  }

  /**
   * Counts a kept line among the lines alike: the same month, code, nominal code, description, party
   * and amount twice is a double export (reported by `finish`).
   */
  private countAlike(month: string, nominal: string, line: CheckedLine): void {
    const key = [
      month,
      line.code,
      nominal,
      line.description ?? '\u0000',
      line.relatedParty ?? '\u0000',
      pennies(line.amount),
    ].join('\u0001');
    const group = this.alike.get(key);
    if (group) {
      group.last = line.line;
      group.count += 1;
    } else this.alike.set(key, { first: line.line, last: line.line, count: 1 });
  }

  /**
   * The related party a row names (method §7), or null: a reference of the organisation's register
   * whose relationship (from..to) covers at least one day of the row's month. A reference the register
   * does not have, or a party not related at all in that month, is a problem at the row's party field.
   */
  private relatedPartyOf(raw: RawRow, row: number, month: string): string | null {
    const other: PartyField = this.partyField === 'relatedParty' ? 'related_party' : 'relatedParty';
    if (raw[other] !== undefined)
      this.problem(
        row,
        other,
        this.partyField === 'relatedParty'
          ? 'is spelled relatedParty in a JSON row'
          : 'is spelled related_party in a CSV header',
      );
    const value = raw[this.partyField];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      this.problem(row, this.partyField, 'must be the reference of a related party (a string)');
      return null;
    }
    const reference = value.trim();
    if (reference === '') return null;
    const party = this.parties.get(reference);
    if (party === undefined) {
      this.problem(
        row,
        this.partyField,
        `names no related party of the organisation's register: ${JSON.stringify(reference.slice(0, 40))} (add it with POST /v1/related-parties)`,
      );
      return null;
    }
    if (isMonthInRange(month)) {
      const first = `${month}-01`;
      const last = `${month}-31`; // compared as text: every real day of the month is on or before it
      if (party.from > last || (party.to !== null && party.to < first)) {
        this.problem(
          row,
          this.partyField,
          `names ${reference}, which the register has as related from ${party.from}${party.to === null ? '' : ` to ${party.to}`}: not in ${month}`,
        );
      }
    }
    return reference;
  }

  private monthOf(month: string) {
    let seen = this.seen.get(month);
    if (!seen) {
      seen = { nilRow: null, firstLine: null, lines: [] };
      this.seen.set(month, seen);
    }
    return seen;
  }

  /**
   * A nil month: the month is imported as a new version with no lines, so that its books are complete
   * with nothing spent. The amount, if given, must be zero; no related party may be named; no other
   * row of the import may be in it.
   */
  private addNilMonth(raw: RawRow, row: number, month: string, relatedParty: string | null): void {
    if (relatedParty !== null)
      this.problem(row, this.partyField, `must be empty on a ${NIL_CODE} row (a month with no spending)`);
    const amount = typeof raw.amount === 'string' ? raw.amount.trim() : raw.amount === undefined ? '' : 'x';
    if (amount !== '' && !/^-?0+(\.0{1,2})?$/.test(amount))
      this.problem(row, 'amount', `must be empty or 0 on a ${NIL_CODE} row (a month with no spending)`);
    if (!isMonthInRange(month)) return;
    const seen = this.monthOf(month);
    if (seen.nilRow !== null)
      this.problem(row, 'code', `repeats the ${NIL_CODE} row ${seen.nilRow} for ${month}`);
    else if (seen.firstLine !== null)
      this.problem(
        row,
        'code',
        `${month} has spending in row ${seen.firstLine}: a ${NIL_CODE} month has no other rows`,
      );
    seen.nilRow ??= row;
  }

  /** Ends the checks (an empty import, rows repeated exactly); the months to write when all passed. */
  finish(): CheckedMonth[] {
    if (this.rows === 0) this.problem(1, 'month', 'the import has no rows');
    if (this.issueCount > 0) return [];
    const repeated = [...this.alike.values()]
      .filter((group) => group.count > 1)
      .sort((a, b) => a.last - b.last);
    for (const group of repeated) {
      this.problem(
        group.last,
        'amount',
        `repeats row ${group.first} exactly (the same month, code, description and amount)`,
      );
    }
    if (this.issueCount > 0) return [];
    return [...this.seen.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([month, seen]) => ({ month: `${month}-01`, lines: seen.lines, nilRow: seen.nilRow }));
  }
}

/** An amount as pennies text, so that 5, 5.0 and 5.00 are the same amount. */
function pennies(amount: string): string {
  const value = new Decimal(amount);
  return value.isZero() ? '0.00' : value.toFixed(2);
}

export function isActualCode(code: string): code is LineCode {
  return ACTUAL_CODES.has(code);
}
