import { readFileSync } from 'node:fs';
import fc from 'fast-check';

/**
 * A seeded generator of hostile HTTP requests, derived from the committed OpenAPI document: every
 * operation, with valid and invalid bodies, query strings, path parameters and headers. The same
 * seed gives the same sequence of requests (the ids it picks from the pools are the fixtures and
 * the resources created during the run, so they differ between runs, but not the choices).
 */

// ---------------------------------------------------------------------------------------------
// Random numbers

/** sfc32, seeded through splitmix32: small, fast and the same on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i += 1) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  uuid(): string {
    const hex = () => this.int(0, 15).toString(16);
    const part = (n: number) => Array.from({ length: n }, hex).join('');
    return `${part(8)}-${part(4)}-4${part(3)}-${this.pick(['8', '9', 'a', 'b'])}${part(3)}-${part(12)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The operations

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** "METHOD /path/{param}" as in the OpenAPI document. */
  key: string;
  method: string;
  /** The OpenAPI path template. */
  path: string;
  /** The same path as Fastify writes it (`:param`), to match the app's route table. */
  route: string;
  parameters: Parameter[];
  body?: JsonSchema;
  /** The media types the body may be sent as (the first is the usual one). */
  bodyTypes: string[];
  /** False for routes the app serves but hides from the OpenAPI document. */
  documented: boolean;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}

export function loadDocument(): OpenApiDocument {
  return JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
}

const dateSchema: JsonSchema = { type: 'string', format: 'date' };
const uuidSchema: JsonSchema = { type: 'string', format: 'uuid' };

/**
 * Routes the app serves that the OpenAPI document hides (the transparency pages and the document
 * itself), and the request body of the actuals import, which is read by hand (JSON or a CSV stream)
 * and so has no schema in the document.
 */
const hiddenOperations: Array<Omit<Operation, 'key' | 'route' | 'documented'>> = [
  { method: 'GET', path: '/openapi.json', parameters: [], bodyTypes: [] },
  { method: 'GET', path: '/favicon.ico', parameters: [], bodyTypes: [] },
  { method: 'GET', path: '/transparency', parameters: [], bodyTypes: [] },
  {
    method: 'GET',
    path: '/transparency/homes/{id}',
    parameters: [
      { name: 'id', in: 'path', required: true, schema: uuidSchema },
      { name: 'on', in: 'query', required: false, schema: dateSchema },
    ],
    bodyTypes: [],
  },
  {
    method: 'GET',
    path: '/transparency/fee-schedules/{id}/changes',
    parameters: [
      { name: 'id', in: 'path', required: true, schema: uuidSchema },
      { name: 'from', in: 'query', required: false, schema: uuidSchema },
    ],
    bodyTypes: [],
  },
  {
    method: 'GET',
    path: '/transparency/reconciliations/{id}',
    parameters: [{ name: 'id', in: 'path', required: true, schema: uuidSchema }],
    bodyTypes: [],
  },
];

const actualsBody: JsonSchema = {
  type: 'object',
  properties: {
    rows: {
      type: 'array',
      minItems: 1,
      maxItems: 5,
      items: {
        type: 'object',
        properties: {
          month: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' },
          code: { type: 'string' },
          amount: { type: 'string', pattern: '^-?\\d{1,12}(\\.\\d{1,2})?$' },
          description: { type: 'string', maxLength: 200 },
        },
        required: ['month', 'code', 'amount'],
        additionalProperties: false,
      },
    },
  },
  required: ['rows'],
  additionalProperties: false,
};

/** Every operation of the OpenAPI document, and the hidden routes. */
export function loadOperations(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters: Parameter[] = (operation.parameters ?? []).map((p) => ({
        name: p.name,
        in: p.in as Parameter['in'],
        required: p.required === true,
        schema: p.schema ?? {},
      }));
      const content = operation.requestBody?.content ?? {};
      const bodyTypes = Object.keys(content);
      let body = bodyTypes[0] ? content[bodyTypes[0]]?.schema : undefined;
      if (method === 'post' && path === '/v1/homes/{id}/actuals') {
        body = actualsBody;
        bodyTypes.push('application/json', 'text/csv');
      }
      if (method === 'patch' && path === '/v1/cost-models/{id}')
        bodyTypes.push('application/merge-patch+json');
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        route: toRoute(path),
        parameters,
        ...(body ? { body } : {}),
        bodyTypes,
        documented: true,
      });
    }
  }
  for (const hidden of hiddenOperations) {
    operations.push({
      ...hidden,
      key: `${hidden.method} ${hidden.path}`,
      route: toRoute(hidden.path),
      documented: false,
    });
  }
  return operations;
}

export const toRoute = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

/**
 * Adds the routes the app serves that neither the document nor the hidden list describes (a page
 * added later, say), with string path parameters and, for writes, any JSON object as the body.
 */
export function withServedRoutes(
  operations: Operation[],
  served: ReadonlyArray<{ method: string; url: string }>,
): Operation[] {
  const known = new Set(operations.map((operation) => `${operation.method} ${operation.route}`));
  const added: Operation[] = [];
  for (const { method, url } of served) {
    const key = `${method} ${url}`;
    if (known.has(key) || url.startsWith('/docs') || url.includes('*')) continue;
    known.add(key);
    const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const write = ['POST', 'PUT', 'PATCH'].includes(method);
    added.push({
      key: `${method} ${path}`,
      method,
      path,
      route: url,
      parameters: [...path.matchAll(/\{([^}]+)\}/g)].map((match) => ({
        name: match[1]!,
        in: 'path' as const,
        required: true,
        schema: { type: 'string' },
      })),
      ...(write ? { body: { type: 'object' } } : {}),
      bodyTypes: write ? ['application/json'] : [],
      documented: false,
    });
  }
  return [...operations, ...added];
}

// ---------------------------------------------------------------------------------------------
// What the generator knows about the seeded tenant

export type PoolName =
  | 'organisation'
  | 'home'
  | 'costModel'
  | 'schedule'
  | 'placement'
  | 'reconciliation'
  | 'apiKey'
  | 'council';

/** Ids of real objects, to reach past "not found" into the logic (grown with what the run creates). */
export type Pools = Record<PoolName, string[]>;

/** The API keys the requests are sent with. */
export interface CallerKeys {
  admin: string;
  finance: string;
  /** A finance key of the other organisation: everything of the first answers 404. */
  foreignFinance: string;
  commissioner: string;
  regulator: string;
  revoked: string;
}

export type Role = 'admin' | 'finance' | 'commissioner' | 'regulator';
export type Access = { public: true } | { transparency: true } | { roles: readonly Role[] };

export interface FuzzRequest {
  /** 1-based position in the run. */
  seq: number;
  operation: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** Who is calling: a role, `anonymous`, or the kind of broken Authorization header. */
  caller: string;
  /** The hostile changes made to an otherwise valid request (empty: a valid request). */
  mutations: string[];
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/** A JSON text spliced into the body as it is (numbers JSON.stringify cannot write, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}

/** Sets an own, enumerable property, even `__proto__`, without touching any prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (value && typeof value === 'object' && !(value instanceof Raw)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setOwn(copy, key, clone((value as Record<string, unknown>)[key]));
    return copy;
  }
  return value;
}

/** JSON text of a generated value (own keys only, `__proto__` included; Raw spliced in). */
export function toJson(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value))
    return `[${value.map((item) => toJson(item === undefined ? null : item)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${toJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const unicode = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\udc00\ud800',
  '\u202egnp.exe',
  '\u200f\u200e',
  'مرحبا بالعالم',
  'שלום עולם',
  '👩‍👩‍👧‍👦🏴󠁧󠁢󠁥󠁮󠁧󠁿',
  'Z̴̡̢̛͚̝̖̹a̷̧̛͎l̶g̵o̸',
  '\ufeff',
  '\u2028\u2029',
  '\uffff\ufffe',
  '\u0001\u001f\u007f\u0085',
  '\r\n\t',
  '２０２６-０４-０１',
  '١٢٣٤',
  'İı ß ﬀ',
  'e\u0301',
  '\u200b\u200c\u200d\u2060',
  '𝟘𝟙𝟚',
  '人民币 ¥ € £',
];

const strange = [
  '',
  ' ',
  '  x  ',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x1F',
  '1_000',
  '99999999999999.99',
  '0.0000001',
  '-0.00',
  '01.00',
  '1,000.00',
  ' 1.00 ',
  '1.005',
  "'; drop table homes; --",
  "' OR '1'='1",
  '../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '<script>alert(1)</script>',
  '<!--',
  '=1+1',
  '=HYPERLINK("http://x")',
  '@SUM(1)',
  '+1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, sent as it is
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '%s%n%x',
  '%00',
  '%ZZ',
  '\\',
  '"',
  'cpk_abc_def',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{3f2504e0-4f89-11d3-9a0c-0305e82c3301}',
  '3F2504E0-4F89-41D3-9A0C-0305E82C3301',
  '3f2504e04f8941d39a0c0305e82c3301',
  '2026-02-29',
  '2024-02-29',
  '2026-13-01',
  '2026-04-31',
  '0000-00-00',
  '0001-01-01',
  '9999-12-31',
  '2026-4-1',
  '2026-04-01T00:00:00Z',
  '2026-04-01T25:00:00Z',
  '+002026-04-01',
  '-2026-04-01',
  '2026-27',
  '2026-04',
  'E08000015',
  'E99999999',
  'e08000015',
  'PROPERTY_LEASE',
  'property_lease',
];

function hugeString(rng: Rng): string {
  const length = rng.pick([300, 5_000, 70_000, 200_000]);
  const unit = rng.pick(['a', '9', 'é', '😀', '\u0000', ' ', '\ud800', 'ab"\\']);
  return unit.repeat(Math.ceil(length / unit.length));
}

export function hostileString(rng: Rng): string {
  const kind = rng.weighted({ unicode: 4, strange: 5, huge: 1, mixed: 2 });
  if (kind === 'unicode') return rng.pick(unicode);
  if (kind === 'strange') return rng.pick(strange);
  if (kind === 'huge') return hugeString(rng);
  return `${rng.pick(strange)}${rng.pick(unicode)}${rng.pick(strange)}`;
}

/** Nesting far deeper than any schema: as text, so that this process never recurses into it. */
function deepNesting(rng: Rng): Raw {
  const depth = rng.pick([64, 1_000, 10_000, 100_000]);
  const shape = rng.pick(['array', 'object', 'mixed']);
  if (shape === 'array') return new Raw(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
  if (shape === 'object') return new Raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
  return new Raw(`${'{"a":['.repeat(depth / 2)}null${']}'.repeat(depth / 2)}`);
}

function pollution(rng: Rng): [string, unknown] {
  const payload: Record<string, unknown> = {};
  setOwn(payload, 'polluted', 'yes');
  setOwn(payload, 'isAdmin', true);
  setOwn(payload, 'role', 'admin');
  const prototypeHolder: Record<string, unknown> = {};
  setOwn(prototypeHolder, 'prototype', payload);
  return rng.pick<[string, unknown]>([
    ['__proto__', payload],
    ['constructor', prototypeHolder],
    ['prototype', payload],
    ['__proto__', { __proto__: null }],
    ['constructor', 'x'],
    ['toString', 'x'],
    ['hasOwnProperty', 1],
    ['valueOf', {}],
    ['__defineGetter__', null],
  ]);
}

export function hostileValue(rng: Rng): unknown {
  const kind = rng.weighted({ string: 6, number: 3, other: 3, deep: 1, pollution: 1, bigArray: 1 });
  if (kind === 'string') return hostileString(rng);
  if (kind === 'number')
    return rng.pick<unknown>([
      0,
      -1,
      1.5,
      -0.0001,
      1e308,
      -1e308,
      2 ** 53 + 2,
      Number.MIN_VALUE,
      123.456789123,
      new Raw('1e400'),
      new Raw('-0'),
      new Raw('123456789012345678901234567890'),
      new Raw('1.0'),
      new Raw('1E2'),
      new Raw('0.1e-400'),
    ]);
  if (kind === 'deep') return deepNesting(rng);
  if (kind === 'pollution') {
    const [key, value] = pollution(rng);
    const holder: Record<string, unknown> = {};
    setOwn(holder, key, value);
    return holder;
  }
  if (kind === 'bigArray')
    return Array.from({ length: rng.pick([100, 3_000]) }, () => rng.pick(['a', 1, null]));
  return rng.pick<unknown>([null, true, false, [], {}, [null], { '': '' }, [[]], { a: { b: { c: {} } } }]);
}

// ---------------------------------------------------------------------------------------------
// The generator

const dates = [
  '2026-04-01',
  '2026-06-01',
  '2026-06-30',
  '2026-09-01',
  '2027-03-31',
  '2025-04-01',
  '2020-01-01',
];
const dateTimes = ['2026-01-01T00:00:00Z', '2026-06-01T12:30:00.000+01:00', '2030-01-01T00:00:00Z'];
const methodCodes = ['PROPERTY_LEASE', 'PROPERTY_UTILITIES', 'RUNNING_FOOD_HOUSEHOLD', 'RUNNING_TRANSPORT'];
const poolOfSegment: Record<string, PoolName> = {
  organisations: 'organisation',
  homes: 'home',
  'cost-models': 'costModel',
  'fee-schedules': 'schedule',
  placements: 'placement',
  reconciliations: 'reconciliation',
  'api-keys': 'apiKey',
  councils: 'council',
};
const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/merge-patch+json',
  'application/problem+json',
  'application/vnd.api+json',
  'text/csv',
  'application/csv',
  'text/csv; charset=utf-16le',
  'text/plain',
  'text/html',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'application/octet-stream',
  '',
  '*/*',
  'application/json;;;',
  'application/json, text/plain',
  'garbage',
  'application/',
  '/json',
];
const accepts = [
  'application/json',
  'text/csv',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'text/html',
  'application/problem+json',
  '*/*',
  'text/*',
  'image/png',
  'application/json;q=0',
  'text/csv;q=0.5, application/json;q=0.9',
  'text/csv;q=abc',
  ';;;,,,',
  '',
  '*/*;q=0',
  'application/xml, */*;q=0.1',
];
const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

export interface GeneratorOptions {
  seed: number;
  operations: Operation[];
  document: OpenApiDocument;
  pools: Pools;
  keys: CallerKeys;
  /** Who may call an operation (from the app's route table). */
  accessOf: (operation: Operation) => Access;
  /** Valid bodies for the operations whose schema alone rarely yields one (cost models and the like). */
  examples: Record<string, (rng: Rng, pools: Pools, unique: () => string) => unknown>;
}

export class RequestGenerator {
  readonly rng: Rng;
  private seq = 0;
  private readonly patternPools = new Map<string, string[]>();
  /** Idempotency keys sent so far, to reuse one now and then (with another body: a 422). */
  private readonly usedIdempotencyKeys: string[] = [];

  constructor(private readonly options: GeneratorOptions) {
    this.rng = new Rng(options.seed);
  }

  private cumulativeWeights: number[] | undefined;

  /**
   * Every operation, those with inputs more often: a route without parameters or body (the health
   * checks, the OpenAPI document, the transparency index) has only headers to get wrong.
   */
  private pickOperation(): Operation {
    const { operations } = this.options;
    if (!this.cumulativeWeights) {
      let total = 0;
      this.cumulativeWeights = operations.map((operation) => {
        total += operation.body ? 1.3 : operation.parameters.length ? 1 : 0.35;
        return total;
      });
    }
    const weights = this.cumulativeWeights;
    const r = this.rng.next() * weights[weights.length - 1]!;
    const index = weights.findIndex((w) => r < w);
    return operations[index === -1 ? operations.length - 1 : index]!;
  }

  private unique = () => `${this.options.seed.toString(36)}-${this.seq}-${this.rng.int(0, 1e6)}`;

  next(): FuzzRequest {
    this.seq += 1;
    const { rng } = this;
    const operation = this.pickOperation();
    const mutations: string[] = [];
    const access = this.options.accessOf(operation);

    // The caller: mostly one who may call the operation, so that validation is reached.
    const { caller, authorization } = this.caller(access);
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers.authorization = authorization;

    // A valid request first…
    const pathValues = new Map<string, string>();
    for (const parameter of operation.parameters.filter((p) => p.in === 'path'))
      pathValues.set(parameter.name, encodePathValue(this.validParameter(operation, parameter)));
    const query: Array<[string, string]> = [];
    for (const parameter of operation.parameters.filter((p) => p.in === 'query')) {
      if (parameter.required || rng.chance(0.35))
        query.push([parameter.name, this.validParameter(operation, parameter)]);
    }
    for (const parameter of operation.parameters.filter((p) => p.in === 'header')) {
      if (parameter.name === 'idempotency-key') {
        const key = `fuzz-${this.unique()}`;
        this.usedIdempotencyKeys.push(key);
        headers['idempotency-key'] = key;
      } else if (parameter.name === 'if-match') {
        headers['if-match'] = rng.pick(['*', '*', '"1"', 'W/"1"', '"1", "2", "3"']);
      }
    }
    let body: unknown;
    let bodyText: string | Buffer | undefined;
    let contentType: string | undefined;
    if (operation.body) {
      const example = this.options.examples[operation.key];
      body =
        example && rng.chance(0.75)
          ? example(rng, this.options.pools, this.unique)
          : this.valid(operation.body, '');
      contentType = operation.bodyTypes[0] ?? 'application/json';
      if (operation.bodyTypes.includes('text/csv') && rng.chance(0.3)) {
        contentType = 'text/csv';
        bodyText = toCsv(body);
      } else if (operation.bodyTypes.includes('application/merge-patch+json') && rng.chance(0.3)) {
        contentType = 'application/merge-patch+json';
      }
    }
    let method = operation.method;
    let path = operation.path;
    let accept: string | undefined = rng.chance(0.15) ? rng.pick(accepts.slice(0, 3)) : undefined;

    // …then up to four hostile changes to it (none, a third of the time).
    const count = rng.chance(0.3) ? 0 : rng.int(1, 4);
    const hasPath = pathValues.size > 0;
    const writes = method !== 'GET';
    for (let i = 0; i < count; i += 1) {
      const kind = rng.weighted({
        body: operation.body ? 30 : writes ? 4 : 1,
        rawBody: operation.body ? 12 : writes ? 3 : 1,
        contentType: writes ? 8 : 2,
        query: 12,
        path: hasPath ? 12 : 0,
        header: 10,
        auth: 6,
        url: 4,
        method: 2,
      });
      switch (kind) {
        case 'body': {
          const base = body === undefined ? this.valid({ type: 'object' }, '') : body;
          const [mutated, description] = this.mutateValue(base);
          body = mutated;
          bodyText = undefined;
          contentType ??= 'application/json';
          mutations.push(`body: ${description}`);
          break;
        }
        case 'rawBody': {
          const [text, description] = this.rawBody(bodyText ?? toJson(body ?? {}));
          bodyText = text;
          contentType ??= 'application/json';
          mutations.push(`raw body: ${description}`);
          break;
        }
        case 'contentType': {
          contentType = rng.pick(contentTypes);
          bodyText ??= body === undefined ? rng.pick(['', '{}', 'a=1']) : toJson(body);
          mutations.push(`content-type: ${JSON.stringify(contentType)}`);
          break;
        }
        case 'query': {
          mutations.push(`query: ${this.mutateQuery(operation, query)}`);
          break;
        }
        case 'path': {
          const name = rng.pick([...pathValues.keys()]);
          const [value, description] = this.hostilePathValue();
          pathValues.set(name, value);
          mutations.push(`path {${name}}: ${description}`);
          break;
        }
        case 'header': {
          const [name, value] = this.hostileHeader(operation);
          if (name === 'accept') accept = value;
          else if (value === undefined) delete headers[name];
          else headers[name] = value;
          mutations.push(`header ${name}: ${value === undefined ? '(removed)' : describe(value)}`);
          break;
        }
        case 'auth': {
          const [value, description] = this.hostileAuthorization();
          if (value === undefined) delete headers.authorization;
          else headers.authorization = value;
          mutations.push(`authorization: ${description}`);
          break;
        }
        case 'url': {
          const [changed, description] = this.mutateUrlShape(path);
          path = changed;
          mutations.push(`url: ${description}`);
          break;
        }
        case 'method': {
          method = rng.pick(methods.filter((m) => m !== operation.method));
          mutations.push(`method: ${method}`);
          break;
        }
      }
    }

    const url = buildUrl(path, pathValues, query);
    if (accept !== undefined) headers.accept = accept;
    let payload: string | Buffer | undefined;
    if (bodyText !== undefined) payload = bodyText;
    else if (body !== undefined) payload = toJson(body);
    if (payload !== undefined && contentType !== undefined) {
      if (contentType === '') delete headers['content-type'];
      else headers['content-type'] = contentType;
    }
    for (const [name, value] of Object.entries(headers)) headers[name] = headerSafe(value);
    return {
      seq: this.seq,
      operation: operation.key,
      method,
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
      caller,
      mutations,
    };
  }

  // --- callers

  private caller(access: Access): { caller: string; authorization?: string } {
    const { rng } = this;
    const { keys } = this.options;
    const bearer = (key: string) => `Bearer ${key}`;
    const roles: Record<string, string> = {
      admin: keys.admin,
      finance: keys.finance,
      'finance (other organisation)': keys.foreignFinance,
      commissioner: keys.commissioner,
      regulator: keys.regulator,
    };
    if ('roles' in access && rng.chance(0.75)) {
      const role = rng.pick(access.roles);
      const name = role === 'finance' && rng.chance(0.2) ? 'finance (other organisation)' : role;
      return { caller: name, authorization: bearer(roles[name]!) };
    }
    const choice = rng.pick([...Object.keys(roles), 'anonymous', 'anonymous']);
    if (choice === 'anonymous') return { caller: 'anonymous' };
    return { caller: choice, authorization: bearer(roles[choice]!) };
  }

  private hostileAuthorization(): [string | undefined, string] {
    const { rng } = this;
    const { keys } = this.options;
    return rng.pick<[string | undefined, string]>([
      [undefined, 'none'],
      ['', 'empty'],
      ['Bearer', 'Bearer without a key'],
      ['Bearer    ', 'Bearer and spaces'],
      [`bearer ${keys.admin}`, 'lower-case scheme'],
      [`BEARER   ${keys.regulator}   `, 'upper-case scheme, padded'],
      [`Bearer ${keys.revoked}`, 'a revoked key'],
      ['Bearer cpk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'an unknown key'],
      [`Bearer ${keys.admin.slice(0, -1)}x`, 'a key with its last character changed'],
      [`Bearer ${keys.admin} ${keys.admin}`, 'two keys'],
      ['Basic dXNlcjpwYXNz', 'Basic'],
      [`Token ${keys.admin}`, 'another scheme'],
      [`Bearer ${'a'.repeat(rng.pick([100, 10_000]))}`, 'a long key'],
      ['Bearer cpk_\u00e9\u00e9_\u00ff', 'a key in Latin-1'],
      [`Bearer cpk_${'😀'}_x`, 'a key in UTF-8'],
      ['Bearer cpk__', 'an empty prefix and secret'],
      ['Bearer cpk_abc', 'a prefix without a secret'],
      ['Bearer \u0000', 'a NUL'],
    ]);
  }

  // --- valid values

  private validParameter(operation: Operation, parameter: Parameter): string {
    const { rng } = this;
    const { pools } = this.options;
    if (parameter.in === 'path') {
      if (parameter.name === 'id') {
        const segments = operation.path.split('/');
        const segment = segments[segments.indexOf('{id}') - 1] ?? '';
        const pool = poolOfSegment[segment];
        if (pool && pools[pool].length && rng.chance(0.85)) return rng.pick(pools[pool]);
        return rng.uuid();
      }
      if (parameter.name === 'code' || parameter.name === 'councilCode') return rng.pick(pools.council);
      if (parameter.name === 'periodStart') return rng.pick(['2026-04-01', '2026-04-01', '2025-04-01']);
      if (parameter.name === 'taxYear') return rng.pick(['2026-27', '2025-26', '2024-25', '2019-20']);
    }
    return String(this.valid(parameter.schema, parameter.name));
  }

  private patternPool(pattern: string): string[] {
    let pool = this.patternPools.get(pattern);
    if (!pool) {
      pool = fc.sample(fc.stringMatching(new RegExp(pattern)), {
        seed: this.options.seed ^ hashString(pattern),
        numRuns: 30,
      });
      this.patternPools.set(pattern, pool);
    }
    return pool;
  }

  private resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    return this.options.document.components?.schemas?.[name] ?? {};
  }

  /** A value the schema accepts (as far as a schema can say), with real ids where the name asks for one. */
  valid(input: JsonSchema, name: string, depth = 0): unknown {
    const { rng } = this;
    const { pools } = this.options;
    const schema = this.resolve(input);
    const hinted = this.hint(name, schema);
    if (hinted !== undefined && rng.chance(0.85)) return hinted;
    if (schema.const !== undefined) return schema.const;
    if (schema.enum) return rng.pick(schema.enum);
    const choices = schema.anyOf ?? schema.oneOf;
    if (choices) {
      const nonNull = choices.filter((c) => c.type !== 'null');
      return this.valid(
        rng.chance(0.85) && nonNull.length ? rng.pick(nonNull) : rng.pick(choices),
        name,
        depth,
      );
    }
    if (schema.allOf?.[0]) return this.valid(schema.allOf[0], name, depth);
    const type = Array.isArray(schema.type)
      ? rng.pick(schema.type)
      : (schema.type ?? (schema.properties ? 'object' : undefined));
    switch (type) {
      case 'object': {
        const result: Record<string, unknown> = {};
        const required = new Set(schema.required ?? []);
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
          if (required.has(key) || (depth < 4 && rng.chance(0.5)))
            setOwn(result, key, this.valid(property, key, depth + 1));
        }
        if (!schema.properties && schema.additionalProperties !== false && depth < 3) {
          for (let i = rng.int(0, 3); i > 0; i -= 1)
            setOwn(result, rng.pick(['a', 'b', 'name', 'x']), rng.pick([1, 'x', null]));
        }
        return result;
      }
      case 'array': {
        const min = schema.minItems ?? 0;
        const max = Math.min(schema.maxItems ?? min + 3, min + 3);
        return Array.from({ length: rng.int(min, max) }, () =>
          this.valid(schema.items ?? {}, name, depth + 1),
        );
      }
      case 'string': {
        if (schema.format === 'uuid') {
          const known = Object.values(pools).filter((pool) => pool.length && pool !== pools.council);
          return rng.chance(0.7) && known.length ? rng.pick(rng.pick(known)) : rng.uuid();
        }
        if (schema.format === 'date')
          return rng.chance(0.8)
            ? rng.pick(dates)
            : rng.pick(this.patternPool(schema.pattern ?? '^\\d{4}-\\d{2}-\\d{2}$'));
        if (schema.format === 'date-time') return rng.pick(dateTimes);
        if (schema.pattern) return rng.pick(this.patternPool(schema.pattern));
        const min = schema.minLength ?? 0;
        const max = Math.min(schema.maxLength ?? min + 24, min + 24);
        return 'Fuzz text 0123456789 abcdefghijklmnopqrstuvwxyz'.slice(0, Math.max(min, rng.int(min, max)));
      }
      case 'integer':
      case 'number': {
        const min =
          schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
        const max = schema.maximum ?? min + 100;
        const value = rng.int(Math.ceil(min), Math.floor(Math.min(max, min + 1000)));
        return type === 'number' && rng.chance(0.3) ? value + 0.5 : value;
      }
      case 'boolean':
        return rng.chance(0.5);
      case 'null':
        return null;
      default:
        return rng.pick<unknown>(['x', 1, true, null, {}, []]);
    }
  }

  private hint(name: string, schema: JsonSchema): unknown {
    const { rng } = this;
    const { pools } = this.options;
    switch (name) {
      case 'homeId':
        return pools.home.length ? rng.pick(pools.home) : undefined;
      case 'organisationId':
        return pools.organisation.length ? rng.pick(pools.organisation) : undefined;
      case 'councilCode':
      case 'hostCouncil':
      case 'councils':
        return schema.type === 'array' ? [rng.pick(pools.council)] : rng.pick(pools.council);
      case 'month':
        return rng.pick(['2026-04', '2026-05', '2026-06']);
      case 'reference':
        return `FZ-${this.unique()}`;
      case 'roleId':
        return rng.pick(['rcw', 'srcw', 'rm', 'hk']);
      case 'code':
        return schema.pattern ? undefined : rng.pick(methodCodes);
      case 'surplusCapRate':
        return rng.pick(['0.05', '0.03', '0.1']);
      case 'expiresAt':
        return '2030-01-01T00:00:00Z';
      case 'from':
      case 'to':
        return schema.format === 'date-time' ? rng.pick(dateTimes) : undefined;
      case 'period':
        // a period label where the schema does not say it is a date (the variance)
        return schema.format ? undefined : rng.pick(['2026-27', '2025-26']);
      case 'financialYear':
        return rng.pick(['2026-27', '2025-26']);
      case 'organisation':
        return pools.organisation.length ? rng.pick(pools.organisation) : undefined;
      case 'limit':
        // mostly small pages: a page of 200 audit events with their documents is megabytes
        return rng.pick([1, 2, 5, 10, 20, 50, 200]);
      case 'cursor':
        return undefined;
      default:
        return undefined;
    }
  }

  // --- hostile changes

  /** One hostile change somewhere in a JSON value; returns the new value and what was done. */
  private mutateValue(value: unknown): [unknown, string] {
    const { rng } = this;
    if (rng.chance(0.08)) {
      const replacement = hostileValue(rng);
      return [replacement, `the whole body replaced by ${describe(replacement)}`];
    }
    const root = clone(value);
    const containers: Array<{ path: string; node: Record<string, unknown> | unknown[] }> = [];
    const walk = (node: unknown, path: string, depth: number) => {
      if (depth > 8 || !node || typeof node !== 'object' || node instanceof Raw) return;
      containers.push({ path, node: node as Record<string, unknown> | unknown[] });
      for (const key of Object.keys(node))
        walk((node as Record<string, unknown>)[key], `${path}/${key}`, depth + 1);
    };
    walk(root, '', 0);
    if (containers.length === 0) return [hostileValue(rng), 'a scalar body replaced'];
    const { path, node } = rng.pick(containers);
    const keys = Object.keys(node);
    if (Array.isArray(node)) {
      const action = rng.weighted({ replace: 4, append: 2, remove: 1, flood: 1 });
      if (action === 'replace' && node.length) {
        const index = rng.int(0, node.length - 1);
        node[index] = hostileValue(rng);
        return [root, `${path}/${index} = ${describe(node[index])}`];
      }
      if (action === 'remove' && node.length) {
        node.splice(rng.int(0, node.length - 1), 1);
        return [root, `${path}: an item removed`];
      }
      if (action === 'flood' && node.length) {
        const item = node[0];
        const times = rng.pick([50, 2_500]);
        for (let i = 0; i < times; i += 1) node.push(clone(item));
        return [root, `${path}: ${times} more copies of the first item`];
      }
      node.push(hostileValue(rng));
      return [root, `${path}/- = ${describe(node[node.length - 1])}`];
    }
    const action = rng.weighted({ replace: 6, remove: 2, unknown: 1, pollute: 2, wrongType: 2 });
    if ((action === 'replace' || action === 'wrongType') && keys.length) {
      const key = rng.pick(keys);
      const current = node[key];
      const replacement =
        action === 'wrongType'
          ? typeof current === 'string'
            ? rng.pick<unknown>([Number(current) || 12.5, [current], { value: current }, null, true])
            : typeof current === 'number'
              ? rng.pick<unknown>([String(current), `${current}.0`, -current, current * 1e12, current + 0.5])
              : rng.pick<unknown>(['x', 0, null, [], {}])
          : hostileValue(rng);
      setOwn(node, key, replacement);
      return [root, `${path}/${key} = ${describe(replacement)}`];
    }
    if (action === 'remove' && keys.length) {
      const key = rng.pick(keys);
      delete node[key];
      return [root, `${path}/${key} removed`];
    }
    if (action === 'pollute') {
      const [key, polluting] = pollution(rng);
      setOwn(node, key, polluting);
      return [root, `${path}/${key} = ${describe(polluting)}`];
    }
    const key = rng.pick([
      'name',
      'dateOfBirth',
      'extra',
      '',
      ' ',
      'a/b',
      '~1',
      hostileString(rng).slice(0, 100),
    ]);
    setOwn(node, key, hostileValue(rng));
    return [root, `${path}: unknown key ${describe(key)}`];
  }

  /** A body that is not a clean JSON document (or not JSON at all). */
  private rawBody(text: string | Buffer): [string | Buffer, string] {
    const { rng } = this;
    const base = typeof text === 'string' ? text : '{}';
    const kind = rng.weighted({
      truncated: 3,
      trailing: 2,
      bom: 1,
      utf16: 1,
      badUtf8: 2,
      literal: 2,
      empty: 2,
      deep: 2,
      jsonish: 2,
      duplicateKey: 2,
      controlChar: 1,
      huge: 1,
      csv: 2,
      form: 1,
    });
    switch (kind) {
      case 'truncated':
        return [base.slice(0, rng.int(0, Math.max(0, base.length - 1))), 'truncated'];
      case 'trailing': {
        const tail = rng.pick([' x', '}', ',', '\u0000', '{}', ']', '\n\n{"a":1}']);
        return [base + tail, `trailing ${describe(tail)}`];
      }
      case 'bom':
        return [`\ufeff${base}`, 'a byte-order mark first'];
      case 'utf16':
        return [Buffer.from(`\ufeff${base}`, 'utf16le'), 'UTF-16LE'];
      case 'badUtf8': {
        const at = rng.int(0, base.length);
        const bytes = rng.pick([
          [0xff],
          [0xfe, 0xff],
          [0xc3, 0x28],
          [0xed, 0xa0, 0x80],
          [0xf4, 0x90, 0x80, 0x80],
          [0xc0, 0xaf],
        ]);
        return [
          Buffer.concat([Buffer.from(base.slice(0, at)), Buffer.from(bytes), Buffer.from(base.slice(at))]),
          `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(' ')} at ${at}`,
        ];
      }
      case 'literal': {
        const literal = rng.pick([
          'null',
          '0',
          'true',
          '"x"',
          '[]',
          '[{}]',
          '-1',
          '1e999',
          '"\\ud800"',
          '"\\u0000"',
        ]);
        return [literal, `the literal ${literal}`];
      }
      case 'empty': {
        const empty = rng.pick(['', ' ', '\n', '\t\r\n']);
        return [empty, 'empty'];
      }
      case 'deep':
        return [deepNesting(rng).text, 'deeply nested'];
      case 'jsonish': {
        const changed = rng.pick([
          base.replace(/"/g, "'"),
          `/* comment */${base}`,
          base.replace(/:(\s*)"/, ':NaN, "x":"'),
          base.replace('{', '{,'),
          base.replace(/"([a-zA-Z]+)":/, '$1:'),
          base.replace(/,/, ',,'),
        ]);
        return [changed, 'almost JSON'];
      }
      case 'duplicateKey': {
        const match = /^\{"([^"]+)":/.exec(base);
        if (!match) return [`{"a":1,"a":${toJson(hostileValue(rng))}}`, 'a duplicate key'];
        return [`{"${match[1]}":${toJson(hostileValue(rng))},${base.slice(1)}`, `duplicate key ${match[1]}`];
      }
      case 'controlChar': {
        const at = base.indexOf('"', 1);
        const char = rng.pick(['\u0000', '\u0001', '\n', '\u001f']);
        return [
          at > 0 ? base.slice(0, at + 1) + char + base.slice(at + 1) : `"${char}"`,
          'a raw control character in a string',
        ];
      }
      case 'huge':
        return [`{"a":"${'x'.repeat(1_100_000)}"}`, 'over a megabyte'];
      case 'csv':
        return [hostileCsv(rng), 'CSV'];
      case 'form':
        return ['a=1&__proto__[polluted]=yes&constructor[prototype][polluted]=yes', 'a form'];
    }
  }

  private mutateQuery(operation: Operation, query: Array<[string, string]>): string {
    const { rng } = this;
    const names = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    const kind = rng.weighted({
      hostileValue: 5,
      remove: names.length ? 2 : 0,
      duplicate: names.length ? 2 : 0,
      unknown: 2,
      pollute: 2,
      numbers: names.includes('limit') ? 2 : 0,
      broken: 2,
    });
    switch (kind) {
      case 'hostileValue': {
        const name = names.length && rng.chance(0.85) ? rng.pick(names) : 'x';
        const value = hostileString(rng);
        removeAll(query, name);
        query.push([name, value]);
        return `${name}=${describe(value)}`;
      }
      case 'remove': {
        const name = rng.pick(names);
        removeAll(query, name);
        return `${name} left out`;
      }
      case 'duplicate': {
        const name = rng.pick(names);
        const value = this.valid(operation.parameters.find((p) => p.name === name)!.schema, name);
        query.push([name, String(value)], [name, String(value)]);
        return `${name} given twice`;
      }
      case 'unknown': {
        query.push([rng.pick(['foo', 'page', 'offset', 'sort', 'fields', '']), hostileString(rng)]);
        return 'an unknown parameter';
      }
      case 'pollute': {
        const key = rng.pick([
          '__proto__',
          '__proto__[polluted]',
          'constructor',
          'constructor[prototype][polluted]',
          'prototype',
          'hasOwnProperty',
          'toString',
        ]);
        query.push([key, 'yes']);
        return `${key}=yes`;
      }
      case 'numbers': {
        const value = rng.pick([
          '0',
          '-1',
          '201',
          '1e3',
          '0x10',
          '1.5',
          ' 5',
          '5 ',
          '',
          'NaN',
          '99999999999999999999',
          '+1',
          '٣',
        ]);
        removeAll(query, 'limit');
        query.push(['limit', value]);
        return `limit=${JSON.stringify(value)}`;
      }
      case 'broken': {
        const raw = rng.pick([
          '&&&',
          '=',
          '==&=',
          '%',
          '%zz',
          '%00',
          'a[]=1&a[]=2',
          'a[b][c]=1',
          '%ED%A0%80',
          `x=${'%41'.repeat(5000)}`,
        ]);
        query.push([RAW_QUERY, raw]);
        return `raw ${JSON.stringify(raw.slice(0, 40))}`;
      }
    }
  }

  private hostilePathValue(): [string, string] {
    const { rng } = this;
    const { pools } = this.options;
    const kind = rng.weighted({ raw: 4, encoded: 5, otherPool: 2, randomUuid: 2 });
    if (kind === 'raw') {
      const raw = rng.pick([
        '%ZZ',
        '%',
        '%00',
        '%2F',
        '%2e%2e',
        '..',
        '.',
        '%ED%A0%80',
        '%C0%AF',
        '%F0%9F%98%80',
        'a%00b',
        'x;y=1',
        '%20',
        '+',
        'null',
        '*',
      ]);
      return [raw, `raw ${JSON.stringify(raw)}`];
    }
    if (kind === 'otherPool') {
      const pool = rng.pick(Object.values(pools).filter((p) => p.length));
      const value = rng.pick(pool);
      return [encodePathValue(value), `another kind of id ${value}`];
    }
    if (kind === 'randomUuid') {
      const value = rng.pick([rng.uuid(), rng.uuid().toUpperCase(), '00000000-0000-0000-0000-000000000000']);
      return [value, `unknown id ${value}`];
    }
    const value = hostileString(rng);
    return [encodePathValue(value), describe(value)];
  }

  private hostileHeader(operation: Operation): [string, string | undefined] {
    const { rng } = this;
    const name = rng.weighted({
      'if-match': operation.parameters.some((p) => p.name === 'if-match') ? 6 : 1,
      'idempotency-key': operation.parameters.some((p) => p.name === 'idempotency-key') ? 6 : 1,
      accept: 4,
      'if-none-match': 2,
      'x-request-id': 2,
      'content-length': 1,
      'content-encoding': 1,
      'accept-charset': 1,
      'x-forwarded-for': 1,
      host: 1,
    });
    switch (name) {
      case 'if-match':
        return [
          name,
          rng.pick([
            undefined,
            '',
            '*',
            '"1"',
            '"0"',
            '"999999"',
            'W/"1"',
            '1',
            '"1',
            '"-1"',
            '"1.5"',
            '"1", *',
            ',,,',
            `"${'9'.repeat(400)}"`,
            hostileString(rng),
          ]),
        ];
      case 'idempotency-key': {
        const reused = this.usedIdempotencyKeys.length
          ? rng.pick(this.usedIdempotencyKeys)
          : 'fuzz-reused-key';
        return [
          name,
          rng.pick([
            undefined,
            '',
            'short',
            reused,
            reused,
            'a'.repeat(201),
            'a'.repeat(200),
            'has spaces in it',
            'ключ-идемпотентности',
            hostileString(rng),
          ]),
        ];
      }
      case 'accept':
        return [name, rng.pick(accepts)];
      case 'if-none-match':
        return [name, rng.pick(['*', '"x"', 'W/"1"', '', hostileString(rng)])];
      case 'x-request-id':
        return [name, rng.pick(['', 'a'.repeat(129), 'req id with spaces', '../../x', hostileString(rng)])];
      case 'content-length':
        return [name, rng.pick(['0', '1', '-1', 'abc', '99999999999', '1.5'])];
      case 'content-encoding':
        return [name, rng.pick(['gzip', 'br', 'deflate', 'identity', 'x-unknown'])];
      case 'accept-charset':
        return [name, rng.pick(['utf-16', 'iso-8859-1', '*;q=0'])];
      case 'x-forwarded-for':
        return [name, rng.pick(['1.2.3.4', 'not an address', '::1, 10.0.0.1'])];
      case 'host':
        return [name, rng.pick(['', 'evil.example', 'a'.repeat(300), 'localhost:99999'])];
    }
  }

  private mutateUrlShape(path: string): [string, string] {
    const { rng } = this;
    const kind = rng.pick([
      'trailing',
      'double',
      'upper',
      'dot',
      'semicolon',
      'prefix',
      'suffix',
      'encodedSlash',
    ]);
    switch (kind) {
      case 'trailing':
        return [`${path}/`, 'a trailing slash'];
      case 'double':
        return [path.replace('/', '//'), 'a double slash'];
      case 'upper':
        return [path.toUpperCase().replace(/\{([^}]+)\}/gi, (m) => m.toLowerCase()), 'upper case'];
      case 'dot':
        return [`/.${path}`, 'a dot segment'];
      case 'semicolon':
        return [`${path};jsessionid=1`, 'a matrix parameter'];
      case 'prefix':
        return [`/v2${path}`, 'another version'];
      case 'suffix':
        return [`${path}/${rng.pick(['x', '..', '%2e', 'extra/more', '{id}'])}`, 'an extra segment'];
      default:
        return [path.replace(/\/(?=[^/]*$)/, '%2F'), 'an encoded slash'];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

const RAW_QUERY = '\u0000raw';

function removeAll(query: Array<[string, string]>, name: string): void {
  for (let i = query.length - 1; i >= 0; i -= 1) if (query[i]![0] === name) query.splice(i, 1);
}

/** Percent-encodes the UTF-8 bytes of a value (a lone surrogate goes as U+FFFD, as a client would send it). */
export function encodePathValue(value: string): string {
  // Through UTF-8 and back: a lone surrogate becomes U+FFFD, which encodeURIComponent can encode.
  return encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
}

function buildUrl(path: string, pathValues: Map<string, string>, query: Array<[string, string]>): string {
  const filled = path.replace(/\{([^}]+)\}/g, (whole, name: string) => pathValues.get(name) ?? whole);
  if (query.length === 0) return filled;
  const parts = query.map(([name, value]) =>
    name === RAW_QUERY ? value : `${encodePathValue(name)}=${encodePathValue(value)}`,
  );
  return `${filled}?${parts.join('&')}`;
}

/**
 * A header value as it can arrive over HTTP: no CR, LF or NUL (the HTTP parser refuses those before
 * the app sees them), and text beyond Latin-1 as its UTF-8 bytes read as Latin-1 (what Node delivers).
 */
function headerSafe(value: string): string {
  const printable = value.replaceAll('\r', '').replaceAll('\n', '').replaceAll('\0', '');
  return Buffer.from(printable, 'utf8').toString('latin1');
}

function describe(value: unknown): string {
  if (value instanceof Raw)
    return `raw ${value.text.length > 60 ? `${value.text.slice(0, 30)}… (${value.text.length} chars)` : value.text}`;
  if (typeof value === 'string')
    return value.length > 60
      ? `${JSON.stringify(value.slice(0, 30))}… (${value.length} chars)`
      : JSON.stringify(value);
  const text = toJson(value);
  return text.length > 60 ? `${text.slice(0, 40)}… (${text.length} chars)` : text;
}

function hashString(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/** The JSON import body as CSV (what a ledger export would look like). */
function toCsv(body: unknown): string {
  const rows = ((body as { rows?: unknown[] } | undefined)?.rows ?? []) as Array<Record<string, unknown>>;
  const cell = (value: unknown) => {
    const text = value === undefined || value === null ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [
    'month,code,amount,description',
    ...rows.map((r) => [r.month, r.code, r.amount, r.description].map(cell).join(',')),
  ].join('\r\n');
}

function hostileCsv(rng: Rng): string {
  return rng.pick([
    'month,code,amount,description\r\n2026-04,PROPERTY_LEASE,=1+1,"=HYPERLINK(""x"")"',
    'month,code,amount\n2026-04,PROPERTY_LEASE,"2400.00\n',
    'month,code,amount\n"unterminated,PROPERTY_LEASE,1.00',
    'month,nominal_code,amount\n2026-04,4000,1.00\n2026-04,4000,1.00',
    'month,code,amount,description,extra\n2026-04,PROPERTY_LEASE,1.00,a,b,c,d',
    'a,b,c\n1,2,3',
    '',
    '\ufeffmonth,code,amount\r2026-04,PROPERTY_LEASE,1.005',
    `month,code,amount\n${'2026-04,PROPERTY_LEASE,1.00\n'.repeat(2000)}`,
    `month,code,amount,description\n2026-04,PROPERTY_LEASE,1.00,${'x'.repeat(100_000)}`,
    'month,code,amount\n2026-04,PROPERTY_LEASE,1.00\u0000',
    'month;code;amount\n2026-04;PROPERTY_LEASE;1.00',
    'month,code,amount\n2026-04,__proto__,1.00\n2026-04,constructor,1.00',
    'month,month,month\n1,2,3',
    '__proto__,constructor,prototype\n1,2,3',
  ]);
}
