import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { annualReturnJsonSchema } from '../domain/returns/schema.js';
import { projectPath } from '../paths.js';

export const openApiPath = projectPath('openapi', 'openapi.json');

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
  await mkdir(dirname(returnSchemaPath), { recursive: true });
  await writeFile(returnSchemaPath, generateReturnSchema());
}

export async function committedOpenApi(): Promise<string> {
  return readFile(openApiPath, 'utf8');
}

/** The annual return's JSON Schema, referenced from the OpenAPI document by a relative path. */
export const returnSchemaPath = projectPath('openapi', 'returns', 'annual-return.v3.schema.json');

export function generateReturnSchema(): string {
  return `${JSON.stringify(annualReturnJsonSchema(), null, 2)}\n`; // as served at /returns/…
}

export async function committedReturnSchema(): Promise<string> {
  return readFile(returnSchemaPath, 'utf8');
}
