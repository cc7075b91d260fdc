import type { LoggerOptions } from 'pino';
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
