import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committedOpenApi, generateOpenApi } from '../../src/cli/openapi.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

describe('OpenAPI document', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite');
  });
  afterAll(() => testApp.close());

  it('is served at /openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const response = await testApp.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    // the annual return's body is described by its own JSON Schema, an external reference
    const validator = new Validator();
    const returnSchema = (await testApp.app.inject({ url: '/returns/annual-return.v3.schema.json' })).json();
    await validator.addSpecRef(returnSchema, 'returns/annual-return.v3.schema.json');
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
  });

  it('is browsable at /docs', async () => {
    const response = await testApp.app.inject({ url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
  });

  it('matches the committed copy (regenerate with `npm run openapi`)', async () => {
    const generated = await generateOpenApi();
    const committed = await committedOpenApi().catch(() => '');
    expect(committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit it').toBe(generated);
  });
});
