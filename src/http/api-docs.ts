import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { finishDocument } from './openapi-document.js';

export const apiVersion = '0.1.0';
const TITLE = 'Cost-plus care pricing API';

/** The service's name in place of the viewer's own logo, white on the viewer's dark bar. */
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="340" height="32" viewBox="0 0 340 32"><text x="0" y="23" font-family="system-ui, sans-serif" font-size="19" font-weight="600" fill="#fff">£ ${TITLE}</text></svg>`;

/**
 * The OpenAPI document (generated from the routes' schemas, at /openapi.json) and its browser at
 * /docs. `transformDocument` lets the composition root adjust the generated document (the annual
 * return's body is referenced, not repeated).
 */
export async function registerApiDocs(
  app: FastifyInstance,
  transformDocument: <T>(document: T) => T,
  branding: { favicon?: string } = {},
) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: TITLE,
        version: apiVersion,
        description:
          "An open, auditable price engine for children's residential care: cost models in, per-child weekly fees with a capped surplus out, every line checkable. Errors are RFC 9457 problem documents (application/problem+json).",
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'pricing', description: 'Price a cost model by the published method' },
        { name: 'organisations', description: 'Provider organisations' },
        { name: 'access', description: 'API keys and the audit trail' },
        { name: 'homes', description: "Children's homes" },
        {
          name: 'related-parties',
          description:
            'The register of related parties a provider pays (method v2 §6): landlords, parents, companies under common control',
        },
        {
          name: 'cost-models',
          description: "Draft cost models and central cost pools: the finance team's work",
        },
        { name: 'fee-schedules', description: 'Published, immutable fee schedules and why they changed' },
        { name: 'placements', description: 'Placements, statements of charges and occupancy' },
        { name: 'actuals', description: "Open-book actual spending, imported from the provider's ledger" },
        { name: 'returns', description: 'The annual financial return for government, by API export' },
        {
          name: 'uplifts',
          description:
            "Councils' framework uplift formulas, the index figures they use, and the signed uplift notices a new fee schedule gives each council placing there",
        },
      ],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key: `Authorization: Bearer <key>`',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) =>
      sortComponents(finishDocument(transformDocument(jsonSchemaTransformObject(document)))),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    theme: {
      title: `${TITLE}: reference`,
      ...(branding.favicon
        ? {
            favicon: [
              {
                filename: 'favicon.svg',
                rel: 'icon',
                type: 'image/svg+xml',
                sizes: 'any',
                content: branding.favicon,
              },
            ],
          }
        : {}),
    },
    logo: { type: 'image/svg+xml', content: LOGO, href: '/docs' },
  });

  app.get('/openapi.json', { config: { access: { public: true } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}

/**
 * The component schemas in the order of their names: zod registers them as their modules are first
 * evaluated, so without this the document's bytes would follow the import graph.
 */
function sortComponents<T>(document: T): T {
  const components = (document as { components?: { schemas?: Record<string, unknown> } }).components;
  if (components?.schemas) {
    components.schemas = Object.fromEntries(
      Object.entries(components.schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  return document;
}
