import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/**
 * Start-up in named steps, each logged at `info` with its duration, each bounded by STARTUP_TIMEOUT_MS.
 *
 * Two bounds, because a step can stall in two ways:
 * - waiting (a promise that never settles: a lock, a connection, a query): a timer in this thread
 *   notices, the step is logged at `fatal` and run() rejects with a StartupError; server.ts exits 1;
 * - computing (a synchronous stall: PGlite replays its WAL inside WebAssembly on this thread, and no
 *   timer of this thread can fire meanwhile): a watchdog thread notices `graceMs` later, writes the
 *   same `fatal` line itself and ends the process with SIGKILL (exit status 137 in a shell).
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly step: string,
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface StartupOptions {
  /** The longest one step may take (STARTUP_TIMEOUT_MS). */
  timeoutMs: number;
  /** How much longer a step blocking this thread may take before the watchdog ends the process. */
  graceMs?: number;
  /** Run the watchdog thread (default true). */
  watchdog?: boolean;
}

export interface Startup {
  /** Logs a step that has already happened (loading the configuration comes before the logger). */
  record(step: string, durationMs: number, fields?: Record<string, unknown>): void;
  /** Runs one step within the time limit, and logs it with its duration (or logs why it failed). */
  run<T>(
    step: string,
    work: () => Promise<T> | T,
    fields?: (result: T) => Record<string, unknown>,
  ): Promise<T>;
  /** Start-up is over: stops the watchdog. Safe to call twice. */
  finish(): void;
}

export function startupSteps(logger: Logger, options: StartupOptions): Startup {
  const { timeoutMs, graceMs = 5_000 } = options;
  const watchdog = options.watchdog === false ? undefined : startWatchdog();
  let finished = false;
  const elapsed = (since: number) => Math.round(performance.now() - since);
  return {
    record(step, durationMs, fields = {}) {
      logger.info({ step, durationMs, ...fields }, `start-up: ${step} (${durationMs} ms)`);
    },
    async run(step, work, fields) {
      const started = performance.now();
      watchdog?.postMessage({ type: 'begin', step, timeoutMs, deadlineMs: timeoutMs + graceMs });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new StartupError(
                step,
                `Start-up step "${step}" did not finish within ${timeoutMs} ms (STARTUP_TIMEOUT_MS)`,
                true,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        const result = await Promise.race([Promise.resolve().then(work), timeout]);
        const durationMs = elapsed(started);
        logger.info(
          { step, durationMs, ...(fields?.(result) ?? {}) },
          `start-up: ${step} (${durationMs} ms)`,
        );
        return result;
      } catch (error) {
        const durationMs = elapsed(started);
        if (error instanceof StartupError) {
          logger.fatal({ step, durationMs, timeoutMs }, `${error.message}: stopping`);
          throw error;
        }
        const message = error instanceof Error ? error.message : String(error);
        logger.fatal({ step, durationMs, err: error }, `start-up step "${step}" failed: stopping`);
        throw new StartupError(step, `Start-up step "${step}" failed: ${message}`, false, { cause: error });
      } finally {
        clearTimeout(timer);
        watchdog?.postMessage({ type: 'end' });
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      void watchdog?.terminate();
    },
  };
}

/**
 * One full garbage collection once start-up is over, before the first request: what start-up made and
 * no longer needs (PGlite's initdb, the migrations, building the app and its OpenAPI document) is
 * released at once rather than at some later collection, and the young generation, grown by start-up
 * to its largest, shrinks back (about 20 MB of RSS). Through the inspector protocol in this process
 * (no port is opened, no V8 flag changed); about 100 ms. Best effort: a Node.js built without the
 * inspector skips it.
 */
export async function collectStartupGarbage(): Promise<boolean> {
  try {
    const { Session } = await import('node:inspector/promises');
    const session = new Session();
    session.connect();
    try {
      await session.post('HeapProfiler.collectGarbage');
    } finally {
      session.disconnect();
    }
    return true;
  } catch {
    return false;
  }
}

// A plain script (no TypeScript, no loader): the thread must start in milliseconds and need nothing.
const WATCHDOG_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
let timer;
parentPort.on('message', (message) => {
  clearTimeout(timer);
  if (message.type !== 'begin') return;
  timer = setTimeout(() => {
    const text = 'Start-up step "' + message.step + '" did not finish within ' + message.timeoutMs +
      ' ms (STARTUP_TIMEOUT_MS), and the main thread does not answer: ending the process';
    const line = JSON.stringify({ level: 60, time: Date.now(), pid: workerData.pid, hostname: workerData.hostname,
      step: message.step, timeoutMs: message.timeoutMs, watchdog: true, msg: text });
    try { writeSync(1, line + '\\n'); } catch {}
    try { writeSync(2, 'Could not start: ' + text + '\\n'); } catch {}
    process.kill(workerData.pid, 'SIGKILL');
  }, message.deadlineMs);
});
`;

function startWatchdog(): Worker {
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    execArgv: [], // not the parent's --import tsx: nothing to compile
    workerData: { pid: process.pid, hostname: hostname() },
    stdout: false,
    stderr: false,
  });
  worker.unref(); // never keeps the process alive
  return worker;
}
