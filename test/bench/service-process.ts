import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_ENV, SERVICE_NODE_FLAGS } from '../helpers/service.js';

/**
 * The service as `npm start` runs it, for the benchmarks: the JavaScript `tsc` built
 * (dist/src/server.js), with the start script's Node.js flags, NODE_ENV=production and the
 * production logger (one JSON line per request at `info`, written to a file as a deployment would
 * write it to its log, not to a pipe this process must drain), on a new PGlite data folder or a
 * PostgreSQL database given as DATABASE_URL. And the bare Fastify hello-world (test/bench/bare-hello.mjs)
 * with the same flags: the ceiling of every HTTP figure.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

let built = false;
/** Builds dist/ once per benchmark process (incremental: a second build with nothing changed is quick). */
export function buildOnce(): void {
  if (built) return;
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  built = true;
}

/** The flags of `npm start`, unless BENCH_NODE_FLAGS (space-separated) says otherwise. */
export const benchNodeFlags: string[] =
  process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? SERVICE_NODE_FLAGS;

export interface ServiceProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** The service's log (JSON lines). */
  logFile: string;
  /** Milliseconds from spawning to the first answer. */
  startMs: number;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** A PostgreSQL database (its own: the migrations run there); PGlite in a new folder when absent. */
  databaseUrl?: string | undefined;
  env?: Record<string, string>;
  /** Extra Node.js flags after the start script's (e.g. --cpu-prof). */
  extraNodeFlags?: string[];
}

/** Starts dist/src/server.js and waits until it has logged its address. */
export async function startCompiledService(options: ServiceOptions = {}): Promise<ServiceProcess> {
  buildOnce();
  const work = mkdtempSync(path.join(tmpdir(), 'cpcp-bench-'));
  const logFile = path.join(work, 'service.log');
  const out = openSync(logFile, 'w');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...benchNodeFlags, ...(options.extraNodeFlags ?? []), 'dist/src/server.js'],
    {
      cwd: root,
      env: {
        ...process.env,
        ...SERVICE_ENV,
        DATA_DIR: path.join(work, 'data'),
        ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { DATABASE_URL: '' }),
        ...options.env,
      },
      stdio: ['ignore', out, 'inherit'],
    },
  );
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  };
  const deadline = performance.now() + 120_000;
  for (;;) {
    const address = /"address":"(http:\/\/[^"]+)"/.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (address) {
      return { url: address, pid: child.pid!, child, logFile, startMs: performance.now() - started, stop };
    }
    if (child.exitCode !== null || performance.now() > deadline) {
      const log = readFileSync(logFile, 'utf8');
      await stop();
      throw new Error(`the service did not start (exit code ${child.exitCode}):\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface BareHello {
  url: string;
  /** The route answering with the payload of that name (startBareHello's `payloads`). */
  bytesUrl(name: string): string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The bare Fastify hello-world in its own process, with the same Node.js flags as the service. With
 * `payloads`, it also answers `GET /bytes/<name>` and `POST /bytes/<name>` (a JSON body, parsed) with
 * those bytes: the ceiling for a route that answers with them (test/bench/bare-hello.mjs).
 */
export function startBareHello(payloads: Record<string, Uint8Array | string> = {}): Promise<BareHello> {
  const payloadDir = mkdtempSync(path.join(tmpdir(), 'cpcp-bare-'));
  for (const [name, bytes] of Object.entries(payloads)) writeFileSync(path.join(payloadDir, name), bytes);
  const child = spawn(process.execPath, [...benchNodeFlags, 'test/bench/bare-hello.mjs'], {
    cwd: root,
    env: { ...process.env, BARE_PAYLOAD_DIR: payloadDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const cleanUp = () => rmSync(payloadDir, { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      cleanUp();
      reject(new Error(`bare hello-world exited with ${code}`));
    });
    child.stdout?.once('data', (chunk) => {
      const url = String(chunk).trim();
      resolve({
        url,
        bytesUrl: (name) => `${url}/bytes/${name}`,
        pid: child.pid!,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => {
              cleanUp();
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
