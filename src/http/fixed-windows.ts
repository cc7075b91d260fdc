import { LRUCache } from 'lru-cache';

export interface Window {
  count: number;
  resetAt: number;
}

/**
 * Counts hits per key in fixed windows: a key's window starts at its first hit and lasts `windowMs`;
 * a hit after it has ended starts a new one. In-process and bounded: an LRU of at most `max` keys
 * (least recently hit forgotten first), each dropped when its window ends where `ttl` is given. The
 * failed-authentication limiter (auth-failures.ts) and the rate limits' fallback while Redis does
 * not answer (rate-limit-store.ts) both count with it.
 */
export class FixedWindows {
  private readonly windows: LRUCache<string, Window>;

  constructor(
    options: { max: number; ttl?: number },
    private readonly now: () => number = Date.now,
  ) {
    this.windows = new LRUCache<string, Window>(
      options.ttl ? { max: options.max, ttl: options.ttl } : { max: options.max },
    );
  }

  /** Counts one hit against `key`; its window after the hit. */
  hit(key: string, windowMs: number): Window {
    const now = this.now();
    const window = this.windows.get(key);
    if (window && window.resetAt > now) {
      window.count += 1;
      return window;
    }
    const fresh = { count: 1, resetAt: now + windowMs };
    this.windows.set(key, fresh);
    return fresh;
  }

  /** The key's window as it stands, without counting a hit (undefined when it has none). */
  peek(key: string): Window | undefined {
    return this.windows.get(key);
  }
}
