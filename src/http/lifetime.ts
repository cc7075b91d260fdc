import type { FastifyReply } from 'fastify';
import { ClientGoneError, WorkTimeoutError } from '../core/lifetime.js';

/**
 * A signal for work done on a request's behalf (an import, an export): aborted when the client goes
 * away before its answer has been sent, or when `ms` have passed, whichever comes first. Work that
 * checks it between its steps never outlives its client or its bound. `what` names the work in the
 * 503 its time running out gives (src/http/errors.ts maps both reasons to problem documents).
 */
export function requestLifetime(reply: FastifyReply, ms: number, what?: string): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new WorkTimeoutError(ms, what)), ms);
  timer.unref();
  reply.raw.once('close', () => {
    clearTimeout(timer);
    if (!reply.raw.writableFinished) controller.abort(new ClientGoneError());
  });
  return controller.signal;
}
