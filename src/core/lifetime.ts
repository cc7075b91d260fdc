// The bound on work done for a request: an AbortSignal that fires when the client goes away or the
// time is up. Work checks it between its steps (src/http/lifetime.ts makes the signal from a reply).

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

/** Throws the signal's reason when it has been aborted. */
export function checkLifetime(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
