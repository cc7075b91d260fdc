import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Recently served quotes, keyed by a hash of the exact request body and the format asked for.
 * Pricing is a pure function of the cost model (and the shipped rate tables, fixed for the life of
 * the process), so the same body always gets the same bytes back: a repeat is answered without
 * parsing, validating or pricing again. Bounded by bytes, not only entries.
 *
 * An answer is kept only when its body comes a second time (the first time, only the body's hash
 * is remembered, among the last `remembered` of them): a finance team's tool that sends the same
 * model again and again is answered from memory from its third request, while a stream of models
 * never seen twice (a spreadsheet trying every pay rate) does not churn 32 MB of answers through the
 * heap, which cost more in garbage collection than the cache saved.
 */
export interface QuoteAnswer<Body extends string | Buffer = string | Buffer> {
  body: Body;
  contentType: string;
  disposition?: string;
}

/** A kept answer holds its encoded bytes, so that a hit costs no re-encoding. */
export type CachedQuote = QuoteAnswer<Buffer>;

export const QUOTE_CACHE_MAX_BODY_BYTES = 256 * 1024;

export class QuoteCache {
  private readonly entries: LRUCache<string, CachedQuote>;
  private readonly seenOnce: LRUCache<string, true>;

  constructor(maxBytes = 32 * 1024 * 1024, remembered = 10_000) {
    this.seenOnce = new LRUCache<string, true>({ max: remembered });
    this.entries = new LRUCache<string, CachedQuote>({
      maxSize: maxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.body.length + 200),
    });
  }

  static key(format: string, rawBody: Buffer): string {
    // One-shot hashing: no Hash object per request.
    return `${format} ${hash('sha256', rawBody, 'base64url')}`;
  }

  get(key: string): CachedQuote | undefined {
    return this.entries.get(key);
  }

  /** True when the answer to this key should be kept: its body has been seen before. */
  admits(key: string): boolean {
    if (this.seenOnce.delete(key)) return true;
    this.seenOnce.set(key, true);
    return false;
  }

  set(key: string, quote: CachedQuote): void {
    this.entries.set(key, quote);
  }

  get size(): number {
    return this.entries.size;
  }
}
