import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Recently served quotes, keyed by a hash of the exact request body and the format asked for.
 * Pricing is a pure function of the cost model (and the shipped rate tables, fixed for the life of
 * the process), so the same body always gets the same bytes back: a repeat is answered without
 * parsing, validating or pricing again. Bounded by bytes, not only entries.
 */
export interface CachedQuote {
  /** The encoded bytes, so that a hit costs no re-encoding. */
  body: Buffer;
  contentType: string;
  disposition?: string;
}

export const QUOTE_CACHE_MAX_BODY_BYTES = 256 * 1024;

export class QuoteCache {
  private readonly entries: LRUCache<string, CachedQuote>;

  constructor(maxBytes = 32 * 1024 * 1024) {
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

  set(key: string, quote: CachedQuote): void {
    this.entries.set(key, quote);
  }

  get size(): number {
    return this.entries.size;
  }
}
