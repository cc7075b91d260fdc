import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { ZodType } from 'zod';
import { escapePointerToken, type FieldIssue, zodIssuesToFieldIssues } from '../domain/errors.js';

/** Deeper than any document of this API: a cost model is five levels deep. */
export const MAX_JSON_DEPTH = 64;

/** Half of a UTF-16 surrogate pair without its other half: not a character at all. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What no schema says but every input must be: free of NUL characters (PostgreSQL stores none, in
 * text or jsonb, and refuses the whole statement) and of lone surrogates (jsonb refuses an unpaired
 * `\ud83d` escape, so a name holding one could not be audited), and nested at most MAX_JSON_DEPTH deep (recursive
 * code such as merge patches and canonical JSON must never meet a document a stack deep). Walked
 * without recursion, so that a body nested 100,000 deep is refused rather than overflowing here.
 * Returns the first offending place, or undefined.
 */
export function findUnstorable(data: unknown): FieldIssue | undefined {
  // The pointer of a place is worked out only for the one that is refused: building one for every
  // value of every body took longer than the walk.
  const stack: Place[] = [{ value: data, key: '', parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const place = stack.pop()!;
    const { value, depth } = place;
    if (typeof value === 'string') {
      const unstorable = unstorableText(value);
      if (unstorable !== undefined)
        return { pointer: pointerOf(place), message: `must not contain ${unstorable}` };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH)
      return { pointer: pointerOf(place), message: `is nested more than ${MAX_JSON_DEPTH} levels deep` };
    for (const key of Object.keys(value)) {
      const child: Place = {
        value: (value as Record<string, unknown>)[key],
        key,
        parent: place,
        depth: depth + 1,
      };
      const unstorable = unstorableText(key);
      if (unstorable !== undefined)
        return { pointer: pointerOf(child), message: `is a name with ${unstorable}` };
      stack.push(child);
    }
  }
  return undefined;
}

/** What a text holds that PostgreSQL cannot store, in words, or undefined. */
function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'a lone surrogate (half of a UTF-16 pair, which is no character)';
  return undefined;
}

interface Place {
  value: unknown;
  key: string;
  parent: Place | undefined;
  depth: number;
}

function pointerOf(place: Place): string {
  const tokens: string[] = [];
  for (let at: Place | undefined = place; at?.parent; at = at.parent) tokens.push(escapePointerToken(at.key));
  return tokens.length === 0 ? '' : `/${tokens.reverse().join('/')}`;
}

/**
 * Validates requests with the route's zod schemas and reports every issue as the domain does:
 * an RFC 6901 pointer per offending field (the type provider's own compiler joins path segments
 * without escaping them, and reports unknown keys against their parent object).
 */
export const validatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data: unknown) => {
    const unstorable = findUnstorable(data);
    if (unstorable) return { error: [toValidationError(unstorable)] };
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: zodIssuesToFieldIssues(result.error).map(toValidationError) };
  };

function toValidationError(issue: FieldIssue): FastifySchemaValidationError {
  return {
    keyword: 'invalid',
    instancePath: issue.pointer,
    schemaPath: '',
    params: {},
    message: issue.message,
  };
}
