// The idempotency keys of creating requests (Stripe-style): claimed in the request's transaction.
export { claimIdempotencyKey, priorUse, requestHash } from './service.js';
