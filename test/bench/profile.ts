import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BENCH_API_KEY,
  distinctModelBodies,
  HTTP_CONNECTIONS,
  load,
  processCpuMicros,
  publishWirral,
  root,
  startServiceForBench,
} from './harness.js';

/**
 * npm run profile -- [fresh|repeat|schedule|live] [seconds]: where the time of one request goes.
 *
 * Starts the service as `npm start` runs it with `--cpu-prof`, loads one route for `seconds` (10)
 * after a warm-up, stops it, and reads the profile V8 wrote: the samples taken during the load
 * only, grouped by what the code does, in microseconds of one core per request (the process's own
 * CPU time, from /proc, divided by the requests answered, shared out by the samples). The
 * .cpuprofile is kept: Chrome DevTools (Performance, "Load profile") or speedscope draw its flame
 * graph.
 *
 * - fresh: POST /v1/quotes, every body new (parse, validate, price, serialise);
 * - repeat: POST /v1/quotes, one body again and again (from the quote cache);
 * - schedule: GET /v1/fee-schedules/{id} (cached bytes);
 * - live: GET /health/live (the cheapest route: the cost of the service's shell).
 */
const kind = process.argv[2] ?? 'fresh';
const seconds = Number(process.argv[3] ?? 10);
if (!['fresh', 'repeat', 'schedule', 'live'].includes(kind)) {
  process.stderr.write('usage: npm run profile -- [fresh|repeat|schedule|live] [seconds]\n');
  process.exit(2);
}

const profileDir = await mkdtemp(path.join(tmpdir(), 'cpcp-profile-'));
const server = await startServiceForBench({ extraNodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
const json = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` };
const wirral = readFileSync(`${root}/fixtures/examples/wirral-four-bed-2026-27.model.json`, 'utf8');

let options: Parameters<typeof load>[0];
if (kind === 'schedule') {
  const { scheduleId } = await publishWirral(server, 'Profile');
  options = { url: `${server.url}/v1/fee-schedules/${scheduleId}` };
} else if (kind === 'live') {
  options = { url: `${server.url}/health/live` };
} else if (kind === 'repeat') {
  options = { url: `${server.url}/v1/quotes`, method: 'POST', headers: json, body: wirral };
} else {
  let counter = 0;
  const distinctBody = distinctModelBodies(wirral);
  options = {
    url: `${server.url}/v1/quotes`,
    method: 'POST',
    headers: json,
    requests: [
      {
        setupRequest: (request) => {
          counter += 1;
          return { ...request, body: distinctBody(counter) };
        },
      },
    ],
  };
}

await load({ ...options, duration: 3 }); // warm-up: JIT, caches, connections
const cpuBefore = processCpuMicros(server.pid);
const from = process.hrtime.bigint();
const result = await load({ ...options, duration: seconds });
const to = process.hrtime.bigint();
const cpuMicros = processCpuMicros(server.pid) - cpuBefore;
await server.stop(); // V8 writes the profile as the process exits
const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${profileDir}`);
const profilePath = path.join(profileDir, file);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
// V8's profile clock and process.hrtime are both the monotonic clock (µs and ns).
const windowFrom = Number(from / 1000n);
const windowTo = Number(to / 1000n);
const selfMicros = new Map<number, number>();
let at = profile.startTime;
let sampled = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at < windowFrom || at > windowTo) return;
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  sampled += delta;
});

/** What a sample's frame is doing, by where its code lives. */
function bucketOf(node: Node): string {
  const { functionName: name, url } = node.callFrame;
  if (name === '(idle)') return 'idle (waiting for the socket)';
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === 'writev' || name === 'writeBuffer' || name === 'writeUtf8String')
    return 'socket writes (kernel, loopback TCP)';
  if (name === 'writeString' || url.includes('sonic-boom') || url.includes('/pino'))
    return 'logging (pino, one line per request)';
  if (url.includes('/src/domain/') || url.includes('decimal.js'))
    return 'pricing engine (src/domain, decimal.js)';
  if (url.includes('/zod/') || url.includes('fastify-type-provider-zod')) return 'validation (zod)';
  if (url.includes('secure-json-parse') || (name === 'parse' && !url)) return 'JSON parse of the body';
  if (url.includes('/src/modules/')) return "the route's own code (src/modules)";
  if (url.includes('/src/http/')) return 'service hooks (src/http: auth, headers, deadlines, logging line)';
  if (url.includes('@fastify/rate-limit') || url.includes('toad-cache')) return 'rate limit';
  if (url.includes('lru-cache')) return 'caches (lru-cache)';
  if (url.includes('node:internal/crypto')) return 'hashing (cache key, API key)';
  if (url.includes('/fastify/') || url.includes('find-my-way') || url.includes('light-my-request'))
    return 'Fastify (routing, hooks, reply)';
  if (url.startsWith('node:')) return 'Node.js HTTP and streams';
  return 'other (native, program)';
}

const buckets = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const bucket = bucketOf(byId.get(id)!);
  buckets.set(bucket, (buckets.get(bucket) ?? 0) + micros);
}
const busy = sampled - (buckets.get('idle (waiting for the socket)') ?? 0);
const requests = result.requestsPerSecond * seconds;
const perRequest = cpuMicros / requests;
process.stdout.write(
  `\nprofile of ${kind}: ${result.requestsPerSecond.toFixed(0)} req/s with ${HTTP_CONNECTIONS} connections for ${seconds} s; ` +
    `the service used ${(cpuMicros / 1e6).toFixed(2)} s of CPU: ${perRequest.toFixed(1)} µs a request\n\n` +
    "where a request's CPU time goes (samples taken while busy, shared out over the µs measured):\n",
);
for (const [bucket, micros] of [...buckets].sort((a, b) => b[1] - a[1])) {
  if (bucket.startsWith('idle')) continue;
  const share = micros / busy;
  process.stdout.write(
    `${(perRequest * share).toFixed(1).padStart(7)} µs  ${(100 * share).toFixed(1).padStart(5)}%  ${bucket}\n`,
  );
}
const top = [...selfMicros]
  .map(([id, micros]) => ({ frame: byId.get(id)!.callFrame, micros }))
  .sort((a, b) => b.micros - a.micros)
  .slice(0, 15);
process.stdout.write('\nthe 15 busiest functions (self time):\n');
for (const { frame, micros } of top) {
  const where = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '');
  process.stdout.write(
    `${((100 * micros) / sampled).toFixed(1).padStart(5)}%  ${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}\n`,
  );
}
process.stdout.write(`\nthe profile (a flame graph in Chrome DevTools or speedscope): ${profilePath}\n`);
