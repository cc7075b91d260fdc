import { isIPv6 } from 'node:net';
import { FixedWindows } from './fixed-windows.js';

export interface FailureLimit {
  /** Failed authentications allowed from one address in a window; 0 turns the limiter off. */
  max: number;
  windowMs: number;
  /** How many addresses are remembered at most (least recently failing forgotten first). */
  addresses?: number;
}

export const DEFAULT_FAILURE_LIMIT: FailureLimit = { max: 20, windowMs: 60_000, addresses: 10_000 };

/**
 * Counts failed authentications (a malformed Authorization header, an unknown, revoked or expired
 * key) per client address, in fixed windows. Once an address has failed `max` times in its window,
 * `blockedFor` says how long until it may try again: the auth hook then answers 429 without looking
 * any key up. In-process and bounded: an LRU of at most `addresses` entries, each dropped when its
 * window ends, so a flood of addresses costs memory no larger than that.
 */
export class FailureLimiter {
  private readonly windows: FixedWindows | undefined;

  constructor(
    private readonly limit: FailureLimit = DEFAULT_FAILURE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {
    this.windows =
      limit.max > 0
        ? new FixedWindows(
            { max: limit.addresses ?? DEFAULT_FAILURE_LIMIT.addresses!, ttl: limit.windowMs },
            now,
          )
        : undefined;
  }

  /** Milliseconds until this address may present a key again; 0 when it may now. */
  blockedFor(address: string): number {
    const window = this.windows?.peek(addressKey(address));
    if (!window || window.count < this.limit.max) return 0;
    return Math.max(0, window.resetAt - this.now());
  }

  recordFailure(address: string): void {
    this.windows?.hit(addressKey(address), this.limit.windowMs);
  }
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The address a limit is counted against: an IPv4 address as it is (IPv4-mapped IPv6 written as
 * IPv4), an IPv6 address by its /64, the smallest block one subscriber is usually given, so that one
 * caller cannot step through the addresses of its own network to start afresh.
 */
export function addressKey(ip: string): string {
  if (!ip) return 'unknown'; // a socket already gone has no remote address
  const mapped = IPV4_MAPPED.exec(ip);
  if (mapped?.[1]) return mapped[1];
  const bare = ip.split('%')[0] ?? ip; // a zone index (fe80::1%eth0) names an interface, not a caller
  if (!isIPv6(bare)) return ip;
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const [head = '', tail] = bare.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${all
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
