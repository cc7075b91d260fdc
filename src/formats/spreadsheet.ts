/** Excel's limit on a sheet name, in UTF-16 code units (the unit exceljs's `name.length` counts). */
export const SHEET_NAME_MAX = 31;

/**
 * Characters a sheet name may not hold: Excel's (and exceljs's) \ / ? * [ ] :; control characters
 * (C0, DEL, C1), which exceljs's XML writer silently drops so the name read back would differ; and
 * what is not XML at all (lone surrogates, U+FFFE, U+FFFF), which makes the workbook unreadable.
 */
const FORBIDDEN = /[\\/?*[\]:\p{Cc}\ufffe\uffff\ud800-\udfff]+/gu;

/**
 * exceljs decodes these entities in a sheet name a second time when it reads a workbook (`&amp;lt;` in the
 * XML is read as `<`, not `&lt;`), so a name holding one would come back changed, or as an illegal
 * name (`&apos;x` → `'x`) that exceljs then refuses to load.
 */
const REDECODED_ENTITY = /&(?=(?:lt|gt|amp|apos|quot);)/g;

/** Blanks and apostrophes at either end: Excel refuses a name beginning or ending with `'`. */
const ENDS = /^[\s']+|[\s']+$/g;

/** Names Excel keeps for itself (compared case-insensitively). */
const RESERVED = ['History'];

/** The forms under which two names count as the same sheet: exceljs and Excel ignore case. */
function caseKeys(name: string): string[] {
  return [name.toLowerCase(), name.toUpperCase().toLowerCase()];
}

/** The first `max` UTF-16 code units of `text`, never cutting a surrogate pair in half. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

function clean(text: string): string {
  const replaced = text.replace(FORBIDDEN, ' ').replace(REDECODED_ENTITY, '& ').replace(ENDS, '');
  return cut(replaced, SHEET_NAME_MAX).replace(ENDS, '');
}

/**
 * A worksheet name that Excel and exceljs accept, made from `wanted` (a home's name, say): 1–31
 * characters; none of \ / ? * [ ] : nor control characters (each run of them becomes a space); not
 * beginning or ending with `'` or a blank; not `History` in any case; and unique, ignoring case, among
 * the names in `used`, by a suffix " 2", " 3" … within the 31 characters. An empty result takes
 * `fallback` (cleaned the same way), then "Sheet". The name returned is added to `used`, which holds
 * the names already in the workbook in any case (seed it with fixed names such as "Summary").
 */
export function safeSheetName(wanted: string, used: Set<string>, fallback = 'Sheet'): string {
  const base = clean(wanted) || clean(fallback) || 'Sheet';
  const taken = new Set<string>();
  for (const name of [...RESERVED, ...used]) for (const key of caseKeys(name)) taken.add(key);
  const free = (name: string) => !caseKeys(name).some((key) => taken.has(key));
  let name = base;
  for (let n = 2; !free(name); n++) {
    const suffix = ` ${n}`;
    name = `${cut(base, SHEET_NAME_MAX - suffix.length).trimEnd()}${suffix}`;
  }
  used.add(name);
  return name;
}
