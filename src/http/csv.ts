// (until every module imports them from src/formats)
export { CSV_NEEDS_QUOTES, safeCell, toCsv } from '../formats/csv.js';

/** `attachment; filename="…"` with a name reduced to safe characters. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]+/g, '-')}"`;
}
