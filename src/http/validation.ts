import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { ZodType } from 'zod';
import { zodIssuesToFieldIssues } from '../domain/errors.js';

/**
 * Validates requests with the route's zod schemas and reports every issue as the domain does:
 * an RFC 6901 pointer per offending field (the type provider's own compiler joins path segments
 * without escaping them, and reports unknown keys against their parent object).
 */
export const validatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const issues: FastifySchemaValidationError[] = zodIssuesToFieldIssues(result.error).map((issue) => ({
      keyword: 'invalid',
      instancePath: issue.pointer,
      schemaPath: '',
      params: {},
      message: issue.message,
    }));
    return { error: issues };
  };
