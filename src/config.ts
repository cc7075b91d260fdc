import path from 'node:path';
import { z } from 'zod';

/** The only reader of process.env: every setting the service has, validated once at start-up. */
const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = (max: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(max, { message: `must be at most ${max}` });

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\/./.test(value) && URL.canParse(value), {
    message: 'must be a postgres:// or postgresql:// URL',
  });

const redisUrl = z
  .string()
  .trim()
  .refine((value) => /^rediss?:\/\/./.test(value) && URL.canParse(value), {
    message: 'must be a redis:// or rediss:// URL',
  });

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().trim().min(1, { message: 'must not be empty' }).default('127.0.0.1'),
  PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int({ message: 'must be a port number' })
    .min(0, { message: 'must be a port number (0-65535)' })
    .max(65535, { message: 'must be a port number (0-65535)' })
    .default(3000),
  DATA_DIR: z.string().trim().min(1, { message: 'must not be empty' }).default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  /** PostgreSQL: the tables' owner, for migrations only; DATABASE_URL is then a role that owns nothing. */
  MIGRATION_DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: positiveInt(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(600_000).default(15_000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: positiveInt(3_600_000).default(60_000),
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt(600_000).default(5_000),
  /** The longest any one start-up step (open the database, migrate, listen…) may take. */
  STARTUP_TIMEOUT_MS: positiveInt(3_600_000).default(120_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: positiveInt(100 * 1024 * 1024).default(1024 * 1024),
  REQUEST_TIMEOUT_MS: positiveInt(600_000).default(30_000),
  EXPORT_TIMEOUT_MS: positiveInt(3_600_000).default(600_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt(600_000).default(10_000),
  ADMIN_API_KEY: z
    .string()
    .min(32, { message: 'must be at least 32 characters (use `openssl rand -base64 32`)' })
    .optional(),
  PUBLIC_TRANSPARENCY: booleanString.default(true),
  SIGNING_KEY_FILE: z.string().trim().min(1, { message: 'must not be empty' }).optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(0, { message: 'must be 0 (off) or more' })
    .default(1200),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(0, { message: 'must be 0 (off) or more' })
    .default(300),
  /** Redis for the rate limits, shared by every instance; unset: each instance counts on its own. */
  REDIS_URL: redisUrl.optional(),
  API_KEY_CACHE_SECONDS: z.coerce
    .number({ message: 'must be a whole number of seconds' })
    .int({ message: 'must be a whole number of seconds' })
    .min(0, { message: 'must be 0 (off) or more' })
    .max(300, { message: 'must be at most 300' })
    .default(10),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

/** Settings whose value is never repeated in a message (they may hold a password or a secret). */
const secretSettings = new Set(['DATABASE_URL', 'MIGRATION_DATABASE_URL', 'ADMIN_API_KEY', 'REDIS_URL']);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parse the environment; a bad value throws a one-line ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set": `PORT= npm start` takes the default.
  const present = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const shown = secretSettings.has(variable) ? '' : ` (got "${present[variable]}")`;
    throw new ConfigError(`Invalid configuration: ${variable} ${issue.message}${shown}`);
  }
  if (parsed.data.MIGRATION_DATABASE_URL && !parsed.data.DATABASE_URL) {
    throw new ConfigError(
      "Invalid configuration: MIGRATION_DATABASE_URL needs DATABASE_URL (the service's own role); PGlite has no roles",
    );
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}

/** DATABASE_URL (or REDIS_URL) with its password replaced, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
