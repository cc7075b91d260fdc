import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl } from '../../src/config.js';

describe('configuration', () => {
  it('has safe defaults: PGlite in ./data on 127.0.0.1:3000', () => {
    const config = loadConfig({});
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.PORT).toBe(3000);
    expect(config.dataDir).toBe(path.resolve('./data'));
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.BODY_LIMIT_BYTES).toBe(1024 * 1024);
    expect(config.PUBLIC_TRANSPARENCY).toBe(true);
  });

  it('reads and coerces every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/tmp/x',
      DATABASE_URL: 'postgres://u:p@db:5432/care',
      LOG_LEVEL: 'warn',
      BODY_LIMIT_BYTES: '2048',
      PUBLIC_TRANSPARENCY: 'false',
      ADMIN_API_KEY: 'k'.repeat(40),
    });
    expect(config).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', dataDir: '/tmp/x', LOG_LEVEL: 'warn' });
    expect(config.BODY_LIMIT_BYTES).toBe(2048);
    expect(config.PUBLIC_TRANSPARENCY).toBe(false);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });

  it.each([
    ['PORT', 'abc', /^Invalid configuration: PORT must be a port number/],
    ['PORT', '70000', /^Invalid configuration: PORT must be a port number \(0-65535\)/],
    ['LOG_LEVEL', 'loud', /^Invalid configuration: LOG_LEVEL /],
    [
      'DATABASE_URL',
      'mysql://x',
      /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL$/,
    ],
    ['BODY_LIMIT_BYTES', '0', /^Invalid configuration: BODY_LIMIT_BYTES must be at least 1/],
    ['ADMIN_API_KEY', 'short', /^Invalid configuration: ADMIN_API_KEY must be at least 32 characters/],
    ['PUBLIC_TRANSPARENCY', 'maybe', /^Invalid configuration: PUBLIC_TRANSPARENCY must be true or false/],
  ])('rejects %s=%s with a one-line message naming it', (name, value, message) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const text = (caught as Error).message;
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('never repeats a secret in its message', () => {
    expect(() => loadConfig({ ADMIN_API_KEY: 'secret' })).toThrow(/^((?!secret).)*$/);
  });

  it('bounds start-up and idle transactions by default, and reads both', () => {
    expect(loadConfig({}).STARTUP_TIMEOUT_MS).toBe(120_000);
    expect(loadConfig({}).DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS).toBe(60_000);
    const config = loadConfig({
      STARTUP_TIMEOUT_MS: '5000',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '30000',
    });
    expect(config.STARTUP_TIMEOUT_MS).toBe(5000);
    expect(config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS).toBe(30_000);
    expect(() => loadConfig({ STARTUP_TIMEOUT_MS: '0' })).toThrow(
      /^Invalid configuration: STARTUP_TIMEOUT_MS must be at least 1/,
    );
  });

  it('takes MIGRATION_DATABASE_URL (the owner role) beside DATABASE_URL (the service role)', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://cpc_service:s@db:5432/care',
      MIGRATION_DATABASE_URL: 'postgres://cpc_owner:o@db:5432/care',
    });
    expect(config.MIGRATION_DATABASE_URL).toBe('postgres://cpc_owner:o@db:5432/care');
    expect(loadConfig({ DATABASE_URL: 'postgres://db/care' }).MIGRATION_DATABASE_URL).toBeUndefined();
  });

  it('refuses MIGRATION_DATABASE_URL without DATABASE_URL, and never repeats its value', () => {
    expect(() => loadConfig({ MIGRATION_DATABASE_URL: 'postgres://owner:hunter2@db/care' })).toThrow(
      /^Invalid configuration: MIGRATION_DATABASE_URL needs DATABASE_URL/,
    );
    let caught: unknown;
    try {
      loadConfig({ DATABASE_URL: 'postgres://db/care', MIGRATION_DATABASE_URL: 'mysql://owner:hunter2@db' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(
      'Invalid configuration: MIGRATION_DATABASE_URL must be a postgres:// or postgresql:// URL',
    );
  });

  it('takes REDIS_URL (redis:// or rediss://), unset by default, and never repeats its value', () => {
    expect(loadConfig({}).REDIS_URL).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache:6380/2' }).REDIS_URL).toBe(
      'rediss://:pw@cache:6380/2',
    );
    expect(() => loadConfig({ REDIS_URL: 'http://:hunter2@cache:6379' })).toThrow(
      /^Invalid configuration: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/,
    );
  });

  it('redacts the password of a database URL', () => {
    expect(redactUrl('postgres://user:hunter2@db:5432/care')).toBe('postgres://user:***@db:5432/care');
    expect(redactUrl('postgres://db/care')).toBe('postgres://db/care');
  });
});
