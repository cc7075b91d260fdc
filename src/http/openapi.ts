import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { buildApp } from './app.js';

export const openApiPath = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));

/** The OpenAPI document as the routes declare it, serialised the way the committed copy is. */
export async function generateOpenApi(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const database = await openDatabase({ dataDir: 'memory://' });
  const app = await buildApp({ config, database });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

export async function writeOpenApi(): Promise<void> {
  await writeFile(openApiPath, await generateOpenApi());
}

export async function committedOpenApi(): Promise<string> {
  return readFile(openApiPath, 'utf8');
}
