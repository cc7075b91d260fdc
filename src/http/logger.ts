import { type Logger, type LoggerOptions, pino } from 'pino';
import type { Config } from '../config.js';

/** Paths never written to the logs, whatever a handler logs by mistake. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'apiKey',
  'key',
  'secret',
  'password',
  'databaseUrl',
  'DATABASE_URL',
  'MIGRATION_DATABASE_URL',
  'migrationDatabaseUrl',
  'ADMIN_API_KEY',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.DATABASE_URL',
  '*.MIGRATION_DATABASE_URL',
  '*.ADMIN_API_KEY',
];

export function loggerOptions(
  config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV'>,
  isTty = process.stdout.isTTY,
): LoggerOptions {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    redact: { paths: redactedPaths, censor: '[redacted]' },
  };
  // Pretty output only for a person at a terminal in development; JSON lines everywhere else.
  if (isTty && config.NODE_ENV === 'development') {
    options.transport = {
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
    };
  }
  return options;
}

/** How long a log line may wait in the buffer before it is written, at the quietest. */
export const LOG_FLUSH_MS = 500;

/**
 * The service's logger: JSON lines on standard output, written in batches of at least 4 KiB (or
 * every LOG_FLUSH_MS, whichever comes first) rather than one write per line. One write per request
 * line, each handed to libuv's thread pool, cost the service more than answering a small request
 * (docs/benchmarks.md). What is buffered is written when the process exits (pino flushes on exit),
 * and a line waits at most LOG_FLUSH_MS. Pretty output for a person at a terminal, as before.
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV'>,
  isTty = process.stdout.isTTY,
): Logger {
  const options = loggerOptions(config, isTty);
  if (options.transport) return pino(options);
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  // sonic-boom's state (not in its types): its count of buffered characters and whether it is closed
  const state = destination as unknown as { _len?: number; destroyed?: boolean };
  setInterval(() => {
    if (!state.destroyed && (state._len ?? 1) > 0) destination.flush();
  }, LOG_FLUSH_MS).unref();
  return pino(options, destination);
}
