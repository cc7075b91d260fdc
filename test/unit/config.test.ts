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

  it('redacts the password of a database URL', () => {
    expect(redactUrl('postgres://user:hunter2@db:5432/care')).toBe('postgres://user:***@db:5432/care');
    expect(redactUrl('postgres://db/care')).toBe('postgres://db/care');
  });
});
