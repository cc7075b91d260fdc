import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { checkLifetime } from '../core/lifetime.js';

/** The spool grew past its bound. */
export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
  constructor(readonly maxBytes: number) {
    super(`The export is larger than ${maxBytes} bytes`);
  }
}

export interface Spool {
  bytes: number;
  /** The spooled bytes, from the start; the file is removed when the stream closes. */
  open(): Readable;
  /** Removes the file (safe to call twice, and after `open()`'s stream has closed). */
  remove(): Promise<void>;
}

/**
 * Writes a body to a private temporary file at the producer's full speed, so that what produced it
 * (a database snapshot) is released before a client reads it at its own pace. The folder is 0700 and
 * the file 0600; it is removed when its reader closes, or by `remove()`. At most `maxBytes`; `signal`
 * stops the writing between chunks.
 */
export async function spool(
  chunks: AsyncIterable<Buffer>,
  options: { maxBytes: number; signal?: AbortSignal },
): Promise<Spool> {
  const folder = await mkdtemp(path.join(tmpdir(), 'cpc-export-'));
  const file = path.join(folder, 'body');
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await rm(folder, { recursive: true, force: true });
  };
  let bytes = 0;
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      for await (const chunk of chunks) {
        checkLifetime(options.signal);
        bytes += chunk.length;
        if (bytes > options.maxBytes) throw new SpoolFullError(options.maxBytes);
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    bytes,
    open() {
      const stream = createReadStream(file);
      stream.once('close', () => void remove().catch(() => undefined));
      return stream;
    },
    remove,
  };
}
