import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { ZodType } from 'zod';
import { toPointer } from './problem.js';

/**
 * Validates requests with the route's zod schemas and reports every issue with a proper
 * RFC 6901 pointer (the type provider's own compiler joins path segments without escaping them).
 */
export const validatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const issues: FastifySchemaValidationError[] = result.error.issues.map((issue) => ({
      keyword: issue.code,
      instancePath: toPointer(issue.path),
      schemaPath: '',
      params: {},
      message: issue.message,
    }));
    return { error: issues };
  };
