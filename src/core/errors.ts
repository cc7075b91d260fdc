// Application errors: what a service says went wrong, in the application's words. They know nothing
// of HTTP; the one error handler (src/http/errors.ts) maps each kind to its problem document.

/** Where an offending value is: the part of the request it came from. */
export type IssueLocation = 'body' | 'query' | 'path' | 'header';

/** One offending value: an RFC 6901 JSON pointer into the part of the request `in` names. */
export interface Issue {
  pointer: string;
  message: string;
  in?: IssueLocation;
}

/** Members a caller may need beside the message (e.g. a settlement's status); copied into the answer. */
export type Details = Record<string, unknown>;

export abstract class ApplicationError extends Error {
  constructor(
    detail: string,
    readonly details: Details = {},
  ) {
    super(detail);
  }
}

/** No such thing, or one the caller may not see (its existence is not revealed). */
export class NotFoundError extends ApplicationError {
  override readonly name = 'NotFoundError';
}

/** The input breaks a rule: each offending value by its pointer. Nothing was changed. */
export class InvalidError extends ApplicationError {
  override readonly name = 'InvalidError';
  constructor(
    readonly issues: readonly Issue[],
    detail = describeIssues(issues),
    details: Details = {},
  ) {
    super(detail, details);
  }
}

/** The request contradicts what exists (a duplicate, a key reused for another request …). */
export class ConflictError extends ApplicationError {
  override readonly name = 'ConflictError';
  constructor(
    detail: string,
    readonly reason: 'exists' | 'idempotency-key-reused' = 'exists',
    details: Details = {},
  ) {
    super(detail, details);
  }
}

/** The caller read an older version than the one there now (optimistic concurrency). */
export class StaleError extends ApplicationError {
  override readonly name = 'StaleError';
  constructor(readonly currentVersion: number) {
    super(`The draft has changed since you read it; it is now at version ${currentVersion}. Read it again.`);
  }
}

/** A change that must say which version it was based on did not. */
export class PreconditionRequiredError extends ApplicationError {
  override readonly name = 'PreconditionRequiredError';
}

/** The caller may not do this at all (not a question of which tenant). */
export class ForbiddenError extends ApplicationError {
  override readonly name = 'ForbiddenError';
}

/** The input is larger than the service takes. */
export class TooLargeError extends ApplicationError {
  override readonly name = 'TooLargeError';
}

/** The work cannot be taken on now (capacity); the caller should try again shortly. */
export class BusyError extends ApplicationError {
  override readonly name = 'BusyError';
}

/** `${what} not found`: the one wording of a missing or foreign thing. */
export function notFound(what: string): NotFoundError {
  return new NotFoundError(`${what} not found`);
}

/** One offending field of the body, for rules a schema alone cannot check. */
export function invalidField(pointer: string, message: string): InvalidError {
  return new InvalidError([{ pointer, message, in: 'body' }], `${pointer}: ${message}`);
}

/** One offending query parameter. */
export function invalidQuery(pointer: string, message: string): InvalidError {
  return new InvalidError([{ pointer, message, in: 'query' }], `${pointer}: ${message}`);
}

/** Turns PostgreSQL's unique violation (23505) into a ConflictError with this detail; rethrows anything else. */
export function conflictOnUniqueViolation(error: unknown, detail: string): never {
  if ((error as { code?: string }).code === '23505') throw new ConflictError(detail);
  throw error;
}

/** "pointer: message (and N more)", the detail of a list of issues. */
export function describeIssues(issues: readonly Issue[]): string {
  const first = issues[0];
  if (!first) return 'The request is not valid';
  const where = first.pointer === '' ? 'the document' : first.pointer;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${where}: ${first.message}${more}`;
}
