import { stringify } from 'csv-stringify/sync';

/** Characters a spreadsheet reads as the start of a formula. */
const FORMULA = '=+\\-@';
/**
 * A cell a spreadsheet would run as a formula: it begins with tab or CR, or with = + - @ after any
 * spaces, tabs, line breaks or `"`.
 */
const FORMULA_START = new RegExp(`^(?:[\\t\\r]|[ \\t\\r\\n"]*[${FORMULA}])`);
/**
 * A formula character that would begin a cell of its own in a file read with another separator: after a
 * `,` `;` tab, CR or LF, then any spaces, tabs, line breaks or `"`.
 */
const FORMULA_AFTER_SEPARATOR = new RegExp(`([,;\\t\\r\\n][ \\t\\r\\n"]*)([${FORMULA}])`, 'g');
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** Fields written between quotes: those holding `"`, a separator (`,` `;` tab) or a line break. */
export const CSV_NEEDS_QUOTES = /[",;\t\r\n]/;

/**
 * Defuses CSV / spreadsheet formula injection (OWASP), whatever separator the file is opened with:
 * - a plain number ("-5.00", "12", an optional `-`, digits, an optional `.` and digits) is left as it is;
 * - a cell that begins with tab or CR, or with = + - @ (after any spaces, tabs, line breaks or `"`), is
 *   prefixed with `'`;
 * - wherever a separator (`,` `;` tab CR LF), then any spaces, tabs, line breaks or `"`, is followed by
 *   = + - @, a `'` is put just before that character, so that `Oak House;=cmd|' /C calc'!A0`, split on
 *   `;` by a reader, gives the text `'=cmd…` rather than a live formula.
 */
export function safeCell(value: string): string {
  if (PLAIN_NUMBER.test(value)) return value;
  const inner = value.replace(FORMULA_AFTER_SEPARATOR, "$1'$2");
  return FORMULA_START.test(value) ? `'${inner}` : inner;
}

/**
 * RFC 4180 CSV: CRLF line ends, formula-looking cells defused (`safeCell`), and fields quoted where they
 * hold `"`, a line break or any separator a reader might use (`,` `;` tab).
 */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return stringify(
    rows.map((row) => row.map(safeCell)),
    { record_delimiter: 'windows', quoted_match: CSV_NEEDS_QUOTES },
  );
}
