import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningService {
  child: ChildProcess;
  address: string;
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts the real service (`src/server.ts`) as a new user would, and waits until it listens. */
export function startService(env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${lines.join('\n')}`)), 30_000);
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
      reject(new Error(`service exited with ${code}:\n${lines.join('\n')}`));
    });
  });
}
