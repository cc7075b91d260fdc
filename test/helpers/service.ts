import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The Node.js flags `npm start` runs the service with (package.json's start script: the `--` words
 * before the entry file), so that tests and benchmarks, which run the sources through tsx, run the
 * service as it is run.
 */
export const SERVICE_NODE_FLAGS: string[] = (() => {
  const start = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: { start: string } })
    .scripts.start;
  return start
    .split(/\s+/)
    .slice(1)
    .filter((word) => word.startsWith('--'));
})();

/** How a test or benchmark runs the real service: as in production, logging at info, on a free port of loopback. */
export const SERVICE_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  HOST: '127.0.0.1',
  PORT: '0',
} as const;

export interface RunningService {
  child: ChildProcess;
  address: string;
  lines: string[];
  exited: Promise<number | null>;
}

/**
 * Starts the real service as a new user would, and waits until it listens: the sources through tsx,
 * or `entry`, a compiled server.js (what `npm start` runs).
 */
export function startService(env: Record<string, string>, entry?: string): Promise<RunningService> {
  const program = entry ? [entry] : ['--import', 'tsx', 'src/server.ts'];
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...program], {
    cwd: root,
    env: { ...process.env, ...SERVICE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    // A service that has not started in time is stopped, and gone before this rejects (below): not
    // left running without an owner.
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      child.kill('SIGKILL');
    }, 30_000);
    child.stderr?.on('data', (chunk) => lines.push(String(chunk)));
    child.stdout?.on('data', (chunk) => {
      buffer += String(chunk);
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve({ child, address: match[1], lines, exited });
        }
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      const why = late ? 'service did not start in 30 s' : `service exited with ${code}`;
      reject(new Error(`${why}:\n${lines.join('\n')}`));
    });
  });
}
