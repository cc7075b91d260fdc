import { z } from 'zod';
import { ProblemError } from './errors.js';
import { problem, problemTypes } from './problem.js';

interface MediaRange {
  type: string;
  q: number;
  order: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((range) => range.type !== '' && range.q > 0);
}

function matches(range: string, offered: string): boolean {
  if (range === '*/*' || range === offered) return true;
  return range.endsWith('/*') && offered.startsWith(range.slice(0, -1));
}

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The names `?format=` gives the media types a resource may be offered in. */
export const FORMAT_MEDIA_TYPES = {
  json: 'application/json',
  csv: 'text/csv',
  xlsx: XLSX,
  html: 'text/html',
} as const;
export type FormatName = keyof typeof FORMAT_MEDIA_TYPES;
export type MediaType = (typeof FORMAT_MEDIA_TYPES)[FormatName];

const NAME_OF = Object.fromEntries(
  Object.entries(FORMAT_MEDIA_TYPES).map(([name, type]) => [type, name as FormatName]),
) as Record<MediaType, FormatName>;

/** The `?format=` names of the media types T. */
export type NameOf<T extends MediaType> = {
  [K in FormatName]: (typeof FORMAT_MEDIA_TYPES)[K] extends T ? K : never;
}[FormatName];

/** The `?format=` name of a media type. */
export function formatNameOf<T extends MediaType>(type: T): NameOf<T> {
  return NAME_OF[type] as NameOf<T>;
}

/**
 * The `?format=` query parameter of a resource offered as `offered`: a link (a page, a spreadsheet
 * cell, a browser's address bar) cannot send an Accept header, so the name of a format overrides it.
 */
export function formatParameter<T extends MediaType>(offered: readonly [T, ...T[]]) {
  const names = offered.map(formatNameOf) as [NameOf<T>, ...NameOf<T>[]];
  return z
    .enum(names)
    .optional()
    .describe(`Overrides the Accept header: ${names.map((name) => `\`${name}\``).join(', ')}`);
}

/**
 * The best of `offered` (first = default) for a request: the `?format=` named (validated against
 * `formatParameter(offered)` by the route), else the Accept header; throws a 406 problem when the
 * client accepts none of them. No header, or `*\/*`, gets the default.
 */
export function negotiate<T extends string>(
  acceptHeader: string | undefined,
  offered: readonly [T, ...T[]],
  format?: FormatName,
): T {
  if (format !== undefined) {
    const named = FORMAT_MEDIA_TYPES[format] as string;
    const chosen = offered.find((type) => type === named);
    if (chosen) return chosen;
  }
  if (!acceptHeader || acceptHeader.trim() === '') return offered[0];
  const ranges = parseAccept(acceptHeader);
  let best: { type: T; q: number; specificity: number; order: number } | undefined;
  offered.forEach((type, index) => {
    for (const range of ranges) {
      if (!matches(range.type, type)) continue;
      const specificity = range.type === type ? 2 : range.type === '*/*' ? 0 : 1;
      const candidate = { type, q: range.q, specificity, order: index };
      if (
        !best ||
        candidate.q > best.q ||
        (candidate.q === best.q && candidate.specificity > best.specificity) ||
        (candidate.q === best.q && candidate.specificity === best.specificity && candidate.order < best.order)
      ) {
        best = candidate;
      }
    }
  });
  if (!best) {
    throw new ProblemError(
      problem(406, `This resource is available as ${offered.join(' or ')}`, problemTypes.notAcceptable),
    );
  }
  return best.type;
}
