import type { FastifyReply } from 'fastify';

/**
 * Every request is answered within its route's time (REQUEST_TIMEOUT_MS, or the route's own
 * `handlerTimeout`): one that has not been answered by then gets a 503 problem document, and one
 * whose answer had begun is cut off. This is Fastify's `handlerTimeout` with one timer for the whole
 * process instead of an AbortController, a timer, a close listener and (at every ordinary end) an
 * AbortError per request, which together cost more than answering a small request. Nothing in the
 * service listened to that per-request signal; work that must stop early (imports, exports) has its
 * own (src/http/lifetime.ts).
 *
 * The check runs every `tickMs` while a request is pending, so a late answer is cut off up to
 * `tickMs` after its time.
 */
export class Deadlines {
  private readonly pending = new Map<FastifyReply, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onLate: (reply: FastifyReply) => void,
    private readonly tickMs = 100,
  ) {}

  /** Watches a reply until `settle` is called for it, or until `ms` from now. */
  track(reply: FastifyReply, ms: number): void {
    this.pending.set(reply, performance.now() + ms);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref();
    }
  }

  settle(reply: FastifyReply): void {
    this.pending.delete(reply);
  }

  get size(): number {
    return this.pending.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private sweep(): void {
    const now = performance.now();
    for (const [reply, at] of this.pending) {
      // Answered, or its connection gone, without an onResponse (a client that went away).
      if (reply.sent || reply.raw.destroyed || reply.raw.writableFinished) {
        this.pending.delete(reply);
      } else if (at <= now) {
        this.pending.delete(reply);
        this.onLate(reply);
      }
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
