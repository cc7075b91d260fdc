import { isDeepStrictEqual } from 'node:util';
import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as checkedSerializerCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';

/**
 * How a route's JSON answer becomes bytes.
 *
 * In production: `JSON.stringify`, nothing more. A response schema is the contract the OpenAPI
 * document publishes, not a check worth making on every reply: zod walking a 7 KB breakdown took
 * longer than pricing it.
 *
 * Everywhere else (tests, development): zod checks every reply against its schema, as before, and
 * the reply must already be what the schema would make of it: the same JSON, key order aside,
 * whether or not the schema ran. A handler that relied on the schema to drop a field or reshape a
 * value fails its tests here instead of leaking in production, where nothing strips it.
 */
export function serializerCompilerFor(nodeEnv: string): FastifySerializerCompiler<ZodType> {
  if (nodeEnv === 'production') return () => fastJson;
  return (route) => {
    const checked = checkedSerializerCompiler(route);
    return (data: unknown) => {
      const text = checked(data);
      // compared as values (key order aside), never as canonical text: a lone surrogate is valid here
      if (!isDeepStrictEqual(JSON.parse(text), JSON.parse(JSON.stringify(data)))) {
        throw new Error(
          `The answer of ${route.method} ${route.url} (${route.httpStatus}) is not what its response schema makes of it: ` +
            'the schema dropped or changed something, which production (no response check) would send as it is',
        );
      }
      return text;
    };
  };
}

function fastJson(data: unknown): string {
  return JSON.stringify(data);
}
