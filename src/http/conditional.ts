import type { FastifyRequest } from 'fastify';
import { PreconditionRequiredError, StaleError } from '../core/errors.js';

/** A draft's ETag: its version number, quoted (strong). */
export const versionTag = (version: number) => `"${version}"`;

const preconditionRequired = (detail: string) => new PreconditionRequiredError(detail);

/**
 * Optimistic concurrency for PUT/PATCH: the caller must send the ETag it read as If-Match.
 * Missing, or `*` (which matches whatever version is there, so guards nothing) → 428; not the
 * current version → 412 (someone else changed it since).
 */
export function requireIfMatch(request: FastifyRequest, currentVersion: number): number {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '') {
    throw preconditionRequired(
      "Send the ETag you read as If-Match, so that no one else's change is overwritten",
    );
  }
  const tags = header.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (tags.includes('*')) {
    throw preconditionRequired('If-Match: * does not say which version you read; send the ETag you read');
  }
  if (!tags.includes(versionTag(currentVersion))) {
    throw stale(currentVersion);
  }
  return currentVersion;
}

export function stale(currentVersion: number): StaleError {
  return new StaleError(currentVersion);
}

/** True when If-None-Match names this strong ETag (or *): the client's copy is current. */
export function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}
