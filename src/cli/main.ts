import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, redactUrl } from '../config.js';
import { openDatabase } from '../db/database.js';
import { prepareSchema } from '../db/roles.js';
import { PGLITE_TEMPLATE_DIR } from '../paths.js';
import { dbCommand } from './db-roles.js';
import { keysCommand } from './keys.js';
import {
  committedOpenApi,
  committedPlacementCostsSchema,
  committedReturnSchema,
  generateOpenApi,
  generatePlacementCostsSchema,
  generateReturnSchema,
  openApiPath,
  writeOpenApi,
} from './openapi.js';
import { quoteCommand } from './quote.js';
import { verifyCommand } from './verify.js';

/** One entry for every operator command: `npm run cli -- <command> [options]`. */
interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  migrate: {
    summary:
      'Apply pending migrations to the configured database (DATABASE_URL, or PGlite in DATA_DIR); with MIGRATION_DATABASE_URL, as that owner, then grant the DATABASE_URL role',
    usage: 'migrate',
    async run() {
      const config = loadConfig();
      const database = await openDatabase({
        databaseUrl: config.DATABASE_URL,
        dataDir: config.dataDir,
        pgliteTemplate: PGLITE_TEMPLATE_DIR,
        statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      });
      try {
        const where = config.DATABASE_URL ? redactUrl(config.DATABASE_URL) : `PGlite in ${config.dataDir}`;
        const { applied, owner, privileges } = await prepareSchema(database, {
          migrationUrl: config.MIGRATION_DATABASE_URL,
          statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
          connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
        });
        if (owner) {
          const { grants } = owner;
          process.stdout.write(
            `Migrated as ${owner.ownerRole}; granted ${grants.serviceRole} SELECT and INSERT on ${grants.appendOnly.length + grants.mutable.length} tables, UPDATE and DELETE on ${grants.mutable.length} (append-only: ${grants.appendOnly.join(', ') || 'none'})\n`,
          );
        }
        process.stdout.write(
          applied.length ? `Applied ${applied.join(', ')} to ${where}\n` : `${where} is up to date\n`,
        );
        if (privileges && privileges.problems.length > 0) {
          process.stderr.write(
            `Warning: the service's role "${privileges.role}" can alter its own tables (${privileges.problems.join('; ')}); see docs/operations.md\n`,
          );
        }
        return 0;
      } finally {
        await database.close();
      }
    },
  },
  db: {
    summary:
      'PostgreSQL roles: make an owner role (migrations) and a service role that owns nothing, and print their URLs (docs/operations.md)',
    usage: 'db roles --owner NAME --service NAME [--admin-url URL] [--schema NAME] [--new-passwords]',
    run: dbCommand,
  },
  quote: {
    summary: 'Price a cost model file by the method and print its breakdown',
    usage: 'quote FILE.json [--json | --csv]   (FILE "-" reads standard input)',
    run: quoteCommand,
  },
  keys: {
    summary: 'Create, list or revoke API keys in the configured database (the key is printed once)',
    usage: 'keys create --role ROLE [--organisation ID] [--council CODE]… | keys list | keys revoke ID',
    run: keysCommand,
  },
  verify: {
    summary:
      'Check published fee schedules offline: hashes, Ed25519 signatures and the chain (docs/verifying.md)',
    usage: 'verify CHAIN.json | verify SCHEDULE.json PROOF.json --keys KEYS.json',
    run: verifyCommand,
  },
  openapi: {
    summary: `Write the OpenAPI document to ${openApiPath.replace(`${process.cwd()}/`, '')} (--check: fail if it is stale)`,
    usage: 'openapi [--check]',
    async run(args) {
      const { values } = parseArgs({ args, options: { check: { type: 'boolean' } } });
      if (values.check) {
        const stale =
          (await generateOpenApi()) !== (await committedOpenApi().catch(() => '')) ||
          generateReturnSchema() !== (await committedReturnSchema().catch(() => '')) ||
          generatePlacementCostsSchema() !== (await committedPlacementCostsSchema().catch(() => ''));
        process.stdout.write(
          stale ? 'openapi/ is stale: run `npm run openapi`\n' : 'openapi/ is up to date\n',
        );
        return stale ? 1 : 0;
      }
      await writeOpenApi();
      process.stdout.write(`Wrote ${openApiPath}\n`);
      return 0;
    },
  },
};

const DATABASE_COMMANDS = new Set(['migrate', 'keys', 'db']);

function help(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length));
  const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return `Usage: npm run cli -- <command> [options]\n\nCommands:\n${lines.join('\n')}\n  ${'help'.padEnd(width)}  Show this help\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${help()}`);
    return 64;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`Usage: npm run cli -- ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  // Commands that open the database: what they create (PGlite's files) is readable by this user only.
  if (DATABASE_COMMANDS.has(name)) process.umask(0o077);
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
  },
);
