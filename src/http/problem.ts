import { STATUS_CODES } from 'node:http';
import { z } from 'zod';

/** RFC 9457 problem details: the one shape of every 4xx and 5xx this service sends. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

import type { Issue } from '../core/errors.js';

export type { IssueLocation } from '../core/errors.js';
/** An offending field: RFC 6901 JSON pointer into the part of the request named by `in` ("" is the whole of it). */
export type ProblemIssue = Issue;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: ProblemIssue[];
  [extension: string]: unknown;
}

/** Problem types this service defines; each is documented at its URI (relative to the service). */
export const problemTypes = {
  validation: { type: '/problems/validation', title: 'The request is not valid' },
  malformed: { type: '/problems/malformed-request', title: 'The request could not be read' },
  unsupportedMediaType: { type: '/problems/unsupported-media-type', title: 'Unsupported media type' },
  notAcceptable: { type: '/problems/not-acceptable', title: 'Not acceptable' },
  rateLimited: { type: '/problems/rate-limited', title: 'Too many requests' },
  payloadTooLarge: { type: '/problems/payload-too-large', title: 'The request body is too large' },
  notFound: { type: '/problems/not-found', title: 'Not found' },
  conflict: { type: '/problems/conflict', title: 'Conflict' },
  idempotencyKeyReused: { type: '/problems/idempotency-key-reused', title: 'Idempotency key reused' },
  preconditionFailed: { type: '/problems/precondition-failed', title: 'Precondition failed' },
  preconditionRequired: { type: '/problems/precondition-required', title: 'Precondition required' },
  forbidden: { type: '/problems/forbidden', title: 'Forbidden' },
  tooLarge: { type: '/problems/payload-too-large', title: 'Payload too large' },
  busy: { type: '/problems/busy', title: 'Service unavailable' },
  methodNotAllowed: { type: '/problems/method-not-allowed', title: 'Method not allowed' },
  unavailable: { type: '/problems/service-unavailable', title: 'Service unavailable' },
  timeout: { type: '/problems/timeout', title: 'The request took too long' },
  internal: { type: '/problems/internal-error', title: 'Internal server error' },
} as const satisfies Record<string, { type: string; title: string }>;

export function problem(
  status: number,
  detail: string,
  kind?: { type: string; title: string },
  extra: Partial<Problem> = {},
): Problem {
  return {
    type: kind?.type ?? 'about:blank',
    title: kind?.title ?? STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...extra,
  };
}

/** The problem document as a zod schema, for response declarations and the OpenAPI document. */
export const problemSchema = z
  .object({
    type: z.string().describe('A URI reference naming the kind of problem'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(
        z.object({
          pointer: z.string().describe('RFC 6901 JSON pointer to the offending field'),
          message: z.string(),
          in: z.enum(['body', 'query', 'path', 'header']).optional(),
          cell: z
            .string()
            .optional()
            .describe('For a body sent as a workbook: the cell, row or sheet at fault, e.g. Staffing!F3'),
        }),
      )
      .optional(),
  })
  .catchall(z.unknown())
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details',
    examples: [
      {
        type: '/problems/validation',
        title: 'The request is not valid',
        status: 422,
        detail: '/plannedOccupancy: must be between 0 and 1',
        requestId: 'req-1a2b3c',
        errors: [{ pointer: '/plannedOccupancy', message: 'must be between 0 and 1', in: 'body' }],
      },
    ],
  });
