/**
 * The last pass over the generated OpenAPI document: what no single route declares but the contract
 * must say (every error is a problem document, every operation says its security, the headers a
 * handler insists on are required), and what the generator leaves behind (unused input twins of the
 * component schemas, JavaScript's safe-integer bounds on every integer). Pure: a document in, the
 * same document, changed, out.
 */

type Json = Record<string, unknown>;
interface Operation extends Json {
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: unknown;
  responses?: Record<string, Json & { content?: Record<string, Json> }>;
  security?: unknown[];
}
export interface OpenApiDocument extends Json {
  paths?: Record<string, Record<string, Operation>>;
  components?: Json & { schemas?: Record<string, unknown> };
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Headers a handler refuses a request without, with its own problem: If-Match (428, RFC 6585) and
 * Idempotency-Key (400). The route's validator leaves them to the handler, so the generated
 * parameter says "optional"; the contract says what the service does.
 */
const REQUIRED_HEADERS = new Set(['if-match', 'idempotency-key']);

/** The errors every operation can answer, whatever it declares. */
const ALWAYS = ['429'] as const;

/** What each error status means here, where a route gives no description of its own. */
const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'The request is not valid: each offending parameter or header named by a JSON pointer',
  '401': 'No API key, or one that is unknown, revoked or expired',
  '403': "The key's role or organisation may not do this",
  '404': 'Not found, or not visible to this key',
  '406': 'None of the media types this resource is available in is acceptable',
  '409': 'Conflicts with what is stored',
  '412': 'Changed since you read it: the If-Match tag is stale',
  '413': 'The body is too large',
  '415': 'Unsupported media type',
  '422': 'The body breaks a rule: each offending field named by a JSON pointer',
  '428': 'If-Match is required',
  '429': 'Too many requests from this key or address; see Retry-After',
  '503': 'Busy or shutting down; see Retry-After',
};

export function finishDocument<T>(document: T): T {
  const doc = document as OpenApiDocument;
  doc.servers = [{ url: '/', description: 'This service: the address the document was fetched from' }];
  for (const operation of operations(doc)) finishOperation(operation);
  stripSafeIntegerBounds(doc);
  dropUnusedComponents(doc);
  return document;
}

function* operations(doc: OpenApiDocument): Generator<Operation> {
  for (const item of Object.values(doc.paths ?? {}))
    for (const [method, operation] of Object.entries(item)) if (HTTP_METHODS.has(method)) yield operation;
}

function finishOperation(operation: Operation): void {
  // a public operation says so: no security requirement at all
  operation.security ??= [];
  for (const parameter of operation.parameters ?? [])
    if (parameter.in === 'header' && REQUIRED_HEADERS.has(parameter.name)) parameter.required = true;
  const responses = operation.responses ?? {};
  const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
  if (takesInput) responses['400'] ??= {};
  const negotiated = Object.entries(responses).some(
    ([status, response]) => Number(status) < 300 && Object.keys(response.content ?? {}).length > 1,
  );
  if (negotiated) responses['406'] ??= {};
  for (const status of ALWAYS) responses[status] ??= {};
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) < 400) continue;
    if (!response.description || response.description === 'Default Response')
      response.description = ERROR_DESCRIPTIONS[status] ?? 'An error';
    response.content = { [PROBLEM_MEDIA_TYPE]: { schema: PROBLEM_REF } };
  }
  operation.responses = Object.fromEntries(
    Object.entries(responses).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** zod's `int()` writes ±(2^53 − 1) as bounds: noise to a reader, and the example viewers show. */
function stripSafeIntegerBounds(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) stripSafeIntegerBounds(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const node = value as Json;
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  for (const child of Object.values(node)) stripSafeIntegerBounds(child);
}

/** Component schemas nothing refers to (the generator's `…Input` twins), until none is left. */
function dropUnusedComponents(doc: OpenApiDocument): void {
  const schemas = doc.components?.schemas;
  if (!schemas) return;
  for (;;) {
    const outside = JSON.stringify({ ...doc, components: { ...doc.components, schemas: {} } });
    const unused = Object.keys(schemas).filter((name) => {
      const ref = JSON.stringify(`#/components/schemas/${name}`);
      return (
        !outside.includes(ref) &&
        !Object.entries(schemas).some(
          ([other, schema]) => other !== name && JSON.stringify(schema).includes(ref),
        )
      );
    });
    if (unused.length === 0) return;
    for (const name of unused) delete schemas[name];
  }
}
