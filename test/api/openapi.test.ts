import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  committedOpenApi,
  committedPlacementCostsSchema,
  generateOpenApi,
  generatePlacementCostsSchema,
} from '../../src/cli/openapi.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

interface Operation {
  operationId: string;
  description?: string;
  security?: unknown[];
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

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
    // the document stands alone: the annual return's schema is bundled, not referenced
    expect(response.body).not.toMatch(/"\$ref":\s*"(?!#)/);
    expect(
      document.paths['/v1/returns/{financialYear}'].get.responses['200'].content['application/json'].schema,
    ).toEqual({
      $ref: '#/components/schemas/AnnualReturn',
    });
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
  });

  it('is browsable at /docs, under the name of the service', async () => {
    const response = await testApp.app.inject({ url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('<title>Cost-plus care pricing API: reference</title>');
    const initializer = await testApp.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain('data:image/svg+xml;base64,');
  });

  it('states for every operation its id, its security, its errors as problem documents, and each media type its own schema', async () => {
    const document = (await testApp.app.inject({ url: '/openapi.json' })).json();
    expect(document.servers.length).toBeGreaterThan(0);
    const ids: string[] = [];
    for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z0-9]+$/);
        ids.push(operation.operationId);
        expect(Array.isArray(operation.security), where).toBe(true);
        expect(operation.description?.split('**Access.**').length, `${where}: one Access line`).toBe(2);
        expect(operation.responses['429'], where).toBeDefined();
        if ((operation.parameters ?? []).length > 0 || operation.requestBody)
          expect(operation.responses['400'], where).toBeDefined();
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          expect(response.content, `${where} ${status}`).toEqual({
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          });
        }
        const ok = Object.entries(operation.responses).filter(([status]) => Number(status) < 300);
        for (const [, response] of ok) {
          const media = Object.entries(response.content ?? {});
          if (media.length < 2) continue;
          // JSON has its schema; CSV and XLSX are text or bytes, never the JSON schema again
          for (const [type, { schema }] of media)
            if (type !== 'application/json')
              expect(schema, `${where} ${type}`).toMatchObject({ type: 'string' });
          expect(operation.responses['406'], where).toBeDefined();
          expect(
            operation.parameters?.some(
              (parameter) => parameter.in === 'query' && parameter.name === 'format',
            ),
            `${where}: ?format= wherever Accept chooses`,
          ).toBe(true);
        }
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    const publish = document.paths['/v1/cost-models/{id}/publish'].post;
    expect(publish.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'idempotency-key', required: true }),
    );
    expect(document.paths['/v1/cost-models/{id}'].put.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'if-match', required: true }),
    );
    const text = JSON.stringify(document);
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
    expect(text).not.toMatch(/"anyOf":\[\{\}/);
  });

  it('matches the committed copy (regenerate with `npm run openapi`)', async () => {
    const generated = await generateOpenApi();
    const committed = await committedOpenApi().catch(() => '');
    expect(committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit it').toBe(generated);
  });

  it("writes the placement costs' JSON Schema beside it, current with the route's zod schema", async () => {
    const committed = await committedPlacementCostsSchema().catch(() => '');
    expect(committed, 'openapi/placement-costs.schema.json is stale: run `npm run openapi`').toBe(
      generatePlacementCostsSchema(),
    );
    expect(JSON.parse(committed)).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'urn:cost-plus-care:placement-costs:1',
    });
  });
});
