import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { annualReturnJsonSchema } from '../domain/returns/schema.js';
import { placementCostsJsonSchema } from '../modules/placement-costs/index.js';
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
  await writeFile(placementCostsSchemaPath, generatePlacementCostsSchema());
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

/** The JSON Schema of GET /v1/councils/{code}/placement-costs as JSON, for councils' loaders to validate against. */
export const placementCostsSchemaPath = projectPath('openapi', 'placement-costs.schema.json');

export function generatePlacementCostsSchema(): string {
  return `${lintedJson(placementCostsJsonSchema())}\n`;
}

const SCALAR_LINE = /^ *(?:"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null),?$/;

/**
 * JSON as `biome check` formats it (biome.json: 2 spaces, lines of at most 110), so that the file
 * written is the one lint leaves alone: JSON.stringify's layout, with each array of scalars that fits
 * on one line put on one line.
 */
function lintedJson(value: unknown): string {
  const lines = JSON.stringify(value, null, 2).split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line.endsWith('[')) {
      let end = i + 1;
      while (end < lines.length && SCALAR_LINE.test(lines[end]!)) end += 1;
      const close = lines[end];
      if (end > i + 1 && close !== undefined && /^ *\],?$/.test(close)) {
        const items = lines.slice(i + 1, end).map((item) => item.trim().replace(/,$/, ''));
        const joined = `${line}${items.join(', ')}${close.trim()}`;
        if (joined.length <= 110) {
          out.push(joined);
          i = end;
          continue;
        }
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

export async function committedPlacementCostsSchema(): Promise<string> {
  return readFile(placementCostsSchemaPath, 'utf8');
}
