import type { z } from 'zod';

/** One offending field of an input document, named by an RFC 6901 JSON pointer (e.g. `/surplus/rate`). */
export interface FieldIssue {
  pointer: string;
  message: string;
  /** When the document came as a workbook: the cell, row or sheet the field was read from (`Staffing!F3`). */
  cell?: string;
}

/**
 * Thrown by domain functions for input that fails a rule. The HTTP layer turns it into a 422
 * problem document listing every issue.
 */
export class DomainValidationError extends Error {
  override readonly name = 'DomainValidationError';

  constructor(
    public readonly issues: FieldIssue[],
    message?: string,
  ) {
    super(message ?? DomainValidationError.summarise(issues));
  }

  private static summarise(issues: readonly FieldIssue[]): string {
    if (issues.length === 0) return 'The input is not valid.';
    const first = issues[0]!;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    return `${first.pointer || '/'}: ${first.message}${more}`;
  }
}

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` in each reference token. */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function toPointer(path: readonly PropertyKey[]): string {
  let pointer = '';
  for (const segment of path)
    pointer += `/${escapePointerToken(typeof segment === 'symbol' ? String(segment) : segment)}`;
  return pointer;
}

function readableMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.message.startsWith('Invalid input') ? `must be ${issue.expected}` : issue.message;
    default:
      return issue.message;
  }
}

/** Turns zod's issues into RFC 6901 pointers with readable messages; unknown keys get one issue each. */
export function zodIssuesToFieldIssues(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ pointer: toPointer([...issue.path, key]), message: 'is not a known field' });
      }
      continue;
    }
    issues.push({ pointer: toPointer(issue.path), message: readableMessage(issue) });
  }
  return issues;
}
