import type { FastifyReply } from 'fastify';

/** The client went away before its answer was sent. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor(message = 'The client closed the connection before the answer was sent') {
    super(message);
  }
}

/** The work for a request took longer than its bound. */
export class WorkTimeoutError extends Error {
  override readonly name = 'WorkTimeoutError';
  constructor(
    readonly ms: number,
    what = 'The work for this request',
  ) {
    super(`${what} took longer than ${ms} ms`);
  }
}

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

/** Throws the signal's reason when it has been aborted. */
export function checkLifetime(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
