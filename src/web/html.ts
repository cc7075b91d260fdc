import { Dec, groupThousands } from '../domain/money.js';

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Markup that has been built by `html` (its interpolations already escaped). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Template tag that escapes every interpolated value unless it is itself `html` (so text from the
 * database can never become markup by mistake); arrays are joined.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** "1234.5" → "£1,234.50" from a decimal string (never a float); a minus sign before the pound sign. */
export function gbp(amount: string): string {
  const fixed = new Dec(amount).toFixed(2);
  return fixed.startsWith('-') ? `-£${groupThousands(fixed.slice(1))}` : `£${groupThousands(fixed)}`;
}

/** "+£1.50", "-£1.50" or "£0.00": a signed difference. */
export function signedGbp(amount: string): string {
  const value = new Dec(amount);
  return value.gt(0) ? `+${gbp(amount)}` : gbp(amount);
}

/** A fraction as a percentage without trailing zeros: "0.04" → "4%", "0.0412" → "4.12%". */
export function percent(fraction: string): string {
  const fixed = new Dec(fraction).times(100).toFixed(4);
  return `${fixed.replace(/\.?0+$/, '')}%`;
}

/** A fraction of the fee as pounds per £100 of fee: "0.0412" → "£4.12". */
export function per100(fraction: string): string {
  return gbp(new Dec(fraction).times(100).toFixed(2));
}

export { longDate } from '../core/dates.js';
