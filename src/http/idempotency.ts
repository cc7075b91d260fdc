import type { FastifyRequest } from 'fastify';
import { ProblemError } from './errors.js';
import { problem, problemTypes } from './problem.js';

const KEY = /^[A-Za-z0-9._:-]{8,200}$/;

/** The request's Idempotency-Key header: required, 8–200 safe characters. */
export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new ProblemError(
      problem(
        400,
        'Send an Idempotency-Key header (8–200 letters, digits, . _ : -), unique to this operation',
        problemTypes.validation,
        {
          errors: [
            {
              pointer: '/idempotency-key',
              message: 'is required: 8–200 letters, digits, . _ : -',
              in: 'header',
            },
          ],
        },
      ),
    );
  }
  return key;
}
