/**
 * The one place that says which dates, months, years and instants the service accepts: real
 * calendar dates of the years 1900 to 2200. PostgreSQL refuses some of what ISO 8601 allows (year
 * 0000 is not a year to it), and no child's placement, fee or cost is dated outside these years, so
 * anything else is answered as a bad field (400 in a query or path, 422 in a body), never sent to
 * the database.
 */
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2200;
export const FIRST_DAY = `${FIRST_YEAR}-01-01`;
export const LAST_DAY = `${LAST_YEAR}-12-31`;

export const DATE_RANGE_MESSAGE = `must be a date between ${FIRST_DAY} and ${LAST_DAY}`;
export const MONTH_RANGE_MESSAGE = `must be a month between ${FIRST_YEAR}-01 and ${LAST_YEAR}-12`;
export const INSTANT_RANGE_MESSAGE = `must be a date-time between ${FIRST_DAY}T00:00:00Z and ${LAST_DAY}T23:59:59Z`;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
export const YEAR_LABEL = /^(\d{4})-(\d{2})$/;
/** An ISO 8601 instant as this service writes one (and PostgreSQL reads one): date, time, Z or offset. */
const INSTANT =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,6})?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

export function yearInRange(year: number): boolean {
  return Number.isInteger(year) && year >= FIRST_YEAR && year <= LAST_YEAR;
}

/** True for a real calendar date `YYYY-MM-DD` of the years 1900–2200. */
export function isDateInRange(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!yearInRange(year) || month < 1 || month > 12 || day < 1) return false;
  // years 1900–2200 only: Date.UTC reads them as written
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** True for a month `YYYY-MM` of the years 1900–2200. */
export function isMonthInRange(value: string): boolean {
  const match = MONTH.exec(value);
  return match !== null && yearInRange(Number(match[1]));
}

/**
 * True for an ISO 8601 instant (`2026-04-01T09:30:00Z`, `2026-04-01T10:30:00.123+01:00`: seconds
 * required, at most microseconds, `Z` or an offset up to ±14:59) whose date is a real one of 1900–2200.
 */
export function isInstantInRange(value: string): boolean {
  const match = INSTANT.exec(value);
  return match !== null && isDateInRange(match[1]!);
}

/** The written year of a value that starts `YYYY-`, or undefined: the range rules below check only that. */
function writtenYear(value: string): number | undefined {
  const match = /^(\d{4})-/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/**
 * A written year outside 1900–2200 (when the value starts with one), as a refinement: a value not
 * written as a date at all gets only the format's message.
 */
export const yearWritten = (value: string) => {
  const year = writtenYear(value);
  return year === undefined || yearInRange(year);
};

/** ISO date → "1 April 2026" (the date is a calendar day: no time zone involved). */
export function longDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-').map(Number);
  const months = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ];
  return `${day} ${months[(month ?? 1) - 1]} ${year}`;
}
