import { stringify } from 'csv-stringify/sync';

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` …) is prefixed with `'`
 * (OWASP CSV injection); plain numbers such as "-5.00" are left as they are.
 */
export function safeCell(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/** RFC 4180 CSV: CRLF line ends, fields quoted where needed, formula-looking cells defused. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return stringify(
    rows.map((row) => row.map(safeCell)),
    { record_delimiter: 'windows', quoted_match: /[",\r\n]/ },
  );
}

/** `attachment; filename="…"` with a name reduced to safe characters. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]+/g, '-')}"`;
}
