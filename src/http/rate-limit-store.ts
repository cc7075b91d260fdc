import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { Redis, type Result } from 'ioredis';
import type { Config } from '../config.js';
import { redactUrl } from '../config.js';
import { FixedWindows } from './fixed-windows.js';

/**
 * The rate limits' counters in Redis (REDIS_URL), so that several instances behind one load balancer
 * count one caller's requests together: RATE_LIMIT_PER_MINUTE is per key across all of them, not per
 * instance. Without REDIS_URL each instance counts on its own, in memory, as before.
 *
 * Redis is a convenience here, never a dependency of an answer. Every call to it is bounded (connect
 * in 1 s, each command 500 ms, no retries, no offline queue: a command while disconnected fails at
 * once), and when Redis does not answer the request goes on, counted by this instance alone (as
 * without REDIS_URL) until Redis answers again: an outage loosens the limit to one per instance, it
 * never refuses or holds a request. After a failure Redis is left alone for 5 s, then one request
 * tries it again, so that a Redis that stops answering costs at most one 500 ms wait every 5 s, not
 * one per request. The first failure is logged at warn, the recovery at info.
 */

/** Redis keys are `cpcp-rl:` + the rate limit's own key (`key:<hash>` or `ip:<address>`). */
export const RATE_LIMIT_NAMESPACE = 'cpcp-rl:';
const CONNECT_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 500;
const RETRY_AFTER_FAILURE_MS = 5_000;

// A fixed window, as @fastify/rate-limit's own RedisStore counts (without continueExceeding or
// exponentialBackoff, which the service does not use): the first request of a window starts its
// expiry; a key that somehow has none is given one, so that no counter outlives its window.
const FIXED_WINDOW = `
local current = redis.call('INCR', KEYS[1])
local window = tonumber(ARGV[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], window)
  return {current, window}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
return {current, ttl}
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    cpcpRateLimit(key: string, windowMs: number): Result<[number, number], Context>;
  }
}

interface Count {
  current: number;
  ttl: number;
}

/** Counts in this process: the fallback while Redis does not answer. */
class LocalWindows {
  private readonly windows = new FixedWindows({ max: 10_000 });

  incr(key: string, windowMs: number): Count {
    const window = this.windows.hit(key, windowMs);
    return { current: window.count, ttl: window.resetAt - Date.now() };
  }
}

class SharedCounter {
  private readonly local = new LocalWindows();
  private healthy = true;
  private retryAt = 0;
  private probing = false;

  constructor(
    private readonly client: Redis,
    private readonly log: FastifyInstance['log'],
  ) {}

  async incr(key: string, windowMs: number): Promise<Count> {
    if (this.client.status !== 'ready') {
      if (this.healthy) this.down(new Error(`Redis connection is ${this.client.status}`));
      return this.local.incr(key, windowMs);
    }
    // While down: one request at a time tries Redis again, once the pause has passed.
    const probe = !this.healthy;
    if (probe && (this.probing || Date.now() < this.retryAt)) return this.local.incr(key, windowMs);
    if (probe) this.probing = true;
    try {
      const [current, ttl] = await this.client.cpcpRateLimit(`${RATE_LIMIT_NAMESPACE}${key}`, windowMs);
      if (!this.healthy) {
        this.healthy = true;
        this.log.info('Redis answers again: rate limits are shared between instances again');
      }
      return { current, ttl };
    } catch (error) {
      this.down(error);
      return this.local.incr(key, windowMs);
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Redis failed (a connection error, a command that timed out): count locally for a while. */
  down(error: unknown, details: object = {}): void {
    this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
    if (!this.healthy) return;
    this.healthy = false;
    this.log.warn(
      { ...details, err: error },
      'Redis does not answer: each instance counts the rate limits on its own until it does',
    );
  }

  /** The connection is (re)made: the next request tries Redis at once. */
  up(): void {
    this.retryAt = 0;
  }
}

/** @fastify/rate-limit's store interface over the shared counter. */
class SharedRateLimitStore {
  constructor(
    private readonly counter: SharedCounter,
    private readonly prefix = '',
  ) {}

  incr(key: string, callback: (error: Error | null, result?: Count) => void, timeWindow = 60_000): void {
    this.counter.incr(`${this.prefix}${key}`, timeWindow).then(
      (count) => callback(null, count),
      (error: Error) => callback(error),
    );
  }

  /** A route with its own `config.rateLimit` counts under its own prefix, as the plugin's stores do. */
  child(routeOptions: unknown): SharedRateLimitStore {
    const route = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo;
    return new SharedRateLimitStore(this.counter, `${this.prefix}${route?.method ?? ''}${route?.url ?? ''}-`);
  }
}

/**
 * The extra @fastify/rate-limit options that share the counters through Redis when REDIS_URL is set
 * (`{}` without it: the plugin's in-memory store), with the client's lifetime tied to the app's.
 */
export function sharedRateLimitStore(
  app: FastifyInstance,
  config: Pick<Config, 'REDIS_URL'>,
): Partial<RateLimitPluginOptions> {
  if (!config.REDIS_URL) return {};
  const client = new Redis(config.REDIS_URL, {
    connectionName: 'cost-plus-care-pricing',
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // reconnect for ever, backing off from 200 ms to 5 s
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), RETRY_AFTER_FAILURE_MS),
  });
  client.defineCommand('cpcpRateLimit', { numberOfKeys: 1, lua: FIXED_WINDOW });
  const counter = new SharedCounter(client, app.log);
  // Connection errors come as events (ioredis retries by itself); without a listener it prints them.
  client.on('error', (error) => counter.down(error));

  client.on('ready', () => counter.up());

  // Start-up waits for Redis briefly, so that the first requests are counted together; never longer.
  app.addHook('onReady', async () => {
    const where = { redis: redactUrl(config.REDIS_URL!) };
    if (client.status !== 'ready') {
      const ready = await new Promise<boolean>((resolve) => {
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          resolve(false);
        }, CONNECT_TIMEOUT_MS);
        client.once('ready', onReady);
      });
      if (!ready) {
        counter.down(new Error(`no answer from Redis in ${CONNECT_TIMEOUT_MS} ms`), where);
        return;
      }
    }
    app.log.info(where, 'rate limits are shared through Redis');
  });
  app.addHook('onClose', async () => {
    client.disconnect(); // at once: nothing in flight is worth waiting for
  });

  return {
    store: class extends SharedRateLimitStore {
      constructor() {
        super(counter);
      }
    },
    // The store falls back by itself and never fails; should anything else fail, let the request through.
    skipOnError: true,
  };
}
