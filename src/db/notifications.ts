import pg from 'pg';
import { DEFAULT_APPLICATION_NAME } from './database.js';

/**
 * PostgreSQL LISTEN on a connection of its own (not one of the pool's: a pooled connection goes back
 * to the pool and its LISTEN with it). Notifications are delivered when the transaction that sent them
 * commits, to every session of the database listening on the channel, whatever its schema.
 *
 * A listener that is not connected misses what is sent meanwhile, and nothing tells it what it missed:
 * `onConnect` runs after every (re)connection, once LISTEN is in place, for the caller to throw away
 * whatever the notifications keep fresh. A dropped connection is logged at warn and made again, with
 * a backoff from 200 ms to 10 s; a heartbeat query every 15 s finds a connection that died silently (a
 * frozen server, a network cut) sooner than TCP would. Every step is bounded by `connectTimeoutMs`.
 *
 * Through a pooler in transaction mode (PgBouncer's default) LISTEN does not work: give the service a
 * direct (or session-pooled) DATABASE_URL.
 */
export interface NotificationListenerOptions {
  connectionString: string;
  /** Bounds connecting, LISTEN and each heartbeat (the pool's DATABASE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  channel: string;
  onNotification(payload: string): void;
  /** After every (re)connection, LISTEN in place: whatever was sent while disconnected was missed. */
  onConnect(): void;
  log: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
  heartbeatMs?: number;
}

export interface NotificationListener {
  /** Resolves true once listening, false if not within `timeoutMs` (it keeps trying). */
  listening(timeoutMs: number): Promise<boolean>;
  /** Stops listening and closes the connection; safe to call twice. */
  stop(): Promise<void>;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

export function listenForNotifications(options: NotificationListenerOptions): NotificationListener {
  const { connectionString, connectTimeoutMs, channel, log } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let stopped = false;
  let current: pg.Client | undefined;
  let isListening = false;
  let failures = 0;
  let everListened = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const waiters = new Set<(listening: boolean) => void>();

  const schedule = () => {
    if (stopped) return;
    const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.min(failures, 6));
    failures += 1;
    // a little jitter, so that instances cut off together do not all come back in the same instant
    retryTimer = setTimeout(connect, delay * (0.75 + Math.random() * 0.5));
  };

  function connect(): void {
    retryTimer = undefined;
    if (stopped) return;
    const client = new pg.Client({
      connectionString,
      application_name: `${DEFAULT_APPLICATION_NAME} listener`,
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: connectTimeoutMs,
      keepAlive: true,
    });
    current = client;
    let lost = false;
    const drop = (error: unknown) => {
      if (lost) return;
      lost = true;
      if (current === client) current = undefined;
      clearInterval(heartbeat);
      heartbeat = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (stopped) return;
      if (isListening || failures === 0) {
        log.warn(
          { err: error, channel },
          isListening
            ? 'lost the database notification connection: reconnecting (cached API keys are forgotten when it is back)'
            : 'could not listen for database notifications: retrying',
        );
      }
      isListening = false;
      schedule();
    };
    client.on('error', drop);
    client.on('end', () => drop(new Error('the connection ended')));
    client.on('notification', (message) => {
      if (message.channel === channel) options.onNotification(message.payload ?? '');
    });
    client
      .connect()
      .then(() => client.query(`listen ${client.escapeIdentifier(channel)}`))
      .then(
        () => {
          if (lost || stopped) return;
          const reconnected = everListened;
          isListening = true;
          everListened = true;
          failures = 0;
          options.onConnect();
          if (reconnected) log.info({ channel }, 'listening for database notifications again');
          for (const wake of waiters) wake(true);
          waiters.clear();
          heartbeat = setInterval(() => {
            client.query('select 1').catch(drop);
          }, heartbeatMs);
          heartbeat.unref();
        },
        (error: unknown) => drop(error),
      );
  }

  connect();

  return {
    listening(timeoutMs) {
      if (isListening) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = (listening: boolean) => {
          clearTimeout(timer);
          resolve(listening);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(heartbeat);
      for (const wake of waiters) wake(false);
      waiters.clear();
      const client = current;
      current = undefined;
      isListening = false;
      if (client) {
        client.removeAllListeners('notification');
        await Promise.race([
          client.end().catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, connectTimeoutMs).unref()),
        ]);
      }
    },
  };
}
