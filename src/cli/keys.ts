import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import { zodIssuesToFieldIssues } from '../domain/errors.js';
import {
  type ApiKey,
  apiKeyInputSchema,
  createApiKey,
  pageApiKeys,
  revokeApiKey,
} from '../modules/api-keys/index.js';
import { PGLITE_TEMPLATE_DIR } from '../paths.js';

const cliActor = { principal: { actor: 'cli', keyId: null, role: 'admin' as const } };

/** `keys create|list|revoke`: API keys for the first run, before any key exists to call the API with. */
export async function keysCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      organisation: { type: 'string' },
      council: { type: 'string', multiple: true },
      label: { type: 'string' },
      expires: { type: 'string' },
    },
  });
  const config = loadConfig();
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    pgliteTemplate: PGLITE_TEMPLATE_DIR,
  });
  try {
    await migrateToLatest(database.db);
    if (action === 'create') return await createKey(database.db, values);
    if (action === 'list') return await listKeys(database.db);
    if (action === 'revoke' && positionals[0]) {
      await revokeApiKey(database.db, cliActor, positionals[0]);
      process.stdout.write(`Revoked ${positionals[0]}\n`);
      return 0;
    }
    process.stderr.write(
      'Usage: npm run cli -- keys create --role ROLE [--organisation ID] [--council ONS_CODE ...] [--label TEXT] [--expires ISO]\n' +
        '       npm run cli -- keys list\n       npm run cli -- keys revoke ID\n',
    );
    return 64;
  } finally {
    await database.close();
  }
}

interface CreateKeyOptions {
  role?: string;
  organisation?: string;
  council?: string[];
  label?: string;
  expires?: string;
}

/** `keys create`: prints the new key once on stdout; 2 when an option is invalid. */
async function createKey(db: Kysely<Database>, values: CreateKeyOptions): Promise<number> {
  const parsed = apiKeyInputSchema.safeParse({
    role: values.role,
    label: values.label ?? `${values.role ?? 'key'} key made with the CLI`,
    ...(values.organisation ? { organisationId: values.organisation } : {}),
    ...(values.council ? { councils: values.council } : {}),
    ...(values.expires ? { expiresAt: values.expires } : {}),
  });
  if (!parsed.success) {
    for (const issue of zodIssuesToFieldIssues(parsed.error)) {
      process.stderr.write(`--${optionName(issue.pointer)}: ${issue.message}\n`);
    }
    return 2;
  }
  const created = await createApiKey(db, cliActor, parsed.data);
  process.stdout.write(`${created.key}\n`);
  process.stderr.write(
    `Created ${created.role} key ${created.prefix} (id ${created.id}). Keep it safe: it is not shown again.\n`,
  );
  return 0;
}

/** `keys list`: one line a key, every page. */
async function listKeys(db: Kysely<Database>): Promise<number> {
  let cursor: string | undefined;
  do {
    const page = await pageApiKeys(db, cursor, 200);
    for (const key of page.items) {
      const scope = key.organisationId ?? (key.councils.join(',') || '-');
      const state = keyState(key);
      process.stdout.write(
        `${key.id}  ${key.prefix}  ${key.role.padEnd(12)}  ${state.padEnd(7)}  ${scope}  ${key.label}\n`,
      );
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return 0;
}

/** revoked, expired (by now) or active. */
function keyState(key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>): string {
  if (key.revokedAt) return 'revoked';
  return key.expiresAt && key.expiresAt < new Date().toISOString() ? 'expired' : 'active';
}

function optionName(pointer: string): string {
  const field = pointer.split('/')[1] ?? '';
  return (
    ({ organisationId: 'organisation', councils: 'council', expiresAt: 'expires' } as Record<string, string>)[
      field
    ] ?? field
  );
}
