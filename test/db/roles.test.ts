import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { buildApp } from '../../src/app.js';
import { setUpRoles } from '../../src/cli/db-roles.js';
import { loadConfig } from '../../src/config.js';
import { type DatabaseHandle, openDatabase } from '../../src/db/database.js';
import { checkServicePrivileges, migrateAsOwner, type OwnerMigration } from '../../src/db/roles.js';
import { startService } from '../helpers/service.js';

/**
 * On PostgreSQL the tables belong to an owner role that only migrations use, and the service connects
 * as a role that owns nothing: its own credentials cannot disable, drop or bypass the append-only
 * triggers, nor TRUNCATE, UPDATE or DELETE what is recorded; and it can still do all its work.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const baseUrl = process.env.TEST_DATABASE_URL;
const ADMIN_KEY = 'roles-test-admin-key-0123456789abcdef0123';
const wirral = JSON.parse(
  readFileSync(path.join(root, 'fixtures/examples/wirral-four-bed-2026-27.model.json'), 'utf8'),
);

/** The tables the service's code updates, deletes from or locks FOR UPDATE (all need UPDATE or DELETE). */
function tablesTheServiceChanges(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const note = (table: string, where: string) => found.set(table, [...(found.get(table) ?? []), where]);
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) visit(file);
      else if (file.endsWith('.ts')) {
        const text = readFileSync(file, 'utf8');
        const where = path.relative(root, file);
        for (const match of text.matchAll(/\b(?:updateTable|deleteFrom)\(\s*'([a-z_]+)/g))
          note(match[1]!, where);
        // a row lock needs UPDATE: selectFrom('t') … .forUpdate() within one statement
        for (const match of text.matchAll(
          /selectFrom\(\s*'([a-z_]+)[^']*'(?:(?!selectFrom\()[^;])*?\.for(?:Update|NoKeyUpdate|Share|KeyShare)\(\)/g,
        )) {
          note(match[1]!, where);
        }
        for (const match of text.matchAll(/\b(?:update|delete\s+from|truncate)\s+([a-z_]+)\b/gi)) {
          // raw SQL in the service's code (none today); skip this repository's own grant statements
          if (!file.endsWith(path.join('db', 'roles.ts')) && !/^(table|on|set)$/i.test(match[1]!)) {
            note(match[1]!.toLowerCase(), `${where} (raw SQL)`);
          }
        }
      }
    }
  };
  visit(path.join(root, 'src/modules'));
  visit(path.join(root, 'src/http'));
  return found;
}

/** The real service (test/helpers/service.ts), with its log lines read as JSON. */
async function startServer(env: Record<string, string>) {
  const running = await startService({ ADMIN_API_KEY: ADMIN_KEY, ...env });
  // biome-ignore lint/suspicious/noExplicitAny: log lines are JSON of many shapes
  const lines: Record<string, any>[] = running.lines.flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return []; // stderr, or not JSON
    }
  });
  return { ...running, lines };
}

describe.runIf(baseUrl)('PostgreSQL roles: the service cannot undo the history', () => {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const owner = `care_owner_${suffix}`;
  const service = `care_service_${suffix}`;
  const schema = `care_roles_${suffix}`;
  let dataDir: string;
  let admin: pg.Client;
  let asService: pg.Client;
  let serviceDb: DatabaseHandle;
  let ownerUrl: string;
  let serviceUrl: string;
  let migration: OwnerMigration;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'care-roles-'));
    admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    // what `npm run cli -- db roles` does: two roles, the schema the owner's
    const roles = await setUpRoles({ adminUrl: baseUrl!, owner, service, schema, newPasswords: false });
    ownerUrl = roles.ownerUrl;
    serviceUrl = roles.serviceUrl;
    expect(new URL(ownerUrl).username).toBe(owner);
    expect(new URL(serviceUrl).username).toBe(service);
    serviceDb = await openDatabase({ databaseUrl: serviceUrl, searchPath: schema, poolMax: 3 });
    migration = await migrateAsOwner({ migrationUrl: ownerUrl, service: serviceDb, searchPath: schema });
    asService = new pg.Client({ connectionString: serviceUrl, options: `-c search_path=${schema}` });
    await asService.connect();
  }, 120_000);

  afterAll(async () => {
    for (const server of servers)
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await asService?.end().catch(() => {});
    await serviceDb?.close().catch(() => {});
    if (admin) {
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where usename = any($1) and pid <> pg_backend_pid()',
        [[owner, service]],
      );
      await admin.query(`drop schema if exists ${schema} cascade`);
      for (const role of [owner, service]) {
        const exists = await admin.query('select 1 from pg_roles where rolname = $1', [role]);
        if (exists.rowCount) {
          await admin.query(`drop owned by ${role}`);
          await admin.query(`drop role ${role}`);
        }
      }
      await admin.end();
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** The error message of a statement run as the service role ('' when it succeeds). */
  const refusal = async (statement: string) => {
    try {
      await asService.query(statement);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('migrations run as the owner, which owns every table; the service role gets grants by trigger', async () => {
    expect(migration.applied).toEqual(Object.keys(migrations));
    expect(migration.ownerRole).toBe(owner);
    const owners = await admin.query<{ tableowner: string }>(
      'select distinct tableowner from pg_tables where schemaname = $1',
      [schema],
    );
    expect(owners.rows).toEqual([{ tableowner: owner }]);

    const { grants } = migration;
    expect(grants.serviceRole).toBe(service);
    expect(grants.appendOnly).toEqual(
      expect.arrayContaining([
        'audit_events',
        'fee_schedules',
        'placements',
        'placement_versions',
        'signing_keys',
        'fee_schedule_proofs',
        'actuals_imports',
        'actual_amounts',
        'reconciliations',
        'index_values',
        'uplift_formulas',
        'uplift_notices',
        'uplift_notice_acknowledgements',
        'scenarios',
      ]),
    );
    expect(grants.mutable).toEqual(
      expect.arrayContaining(['organisations', 'api_keys', 'homes', 'cost_models', 'central_cost_pools']),
    );
    expect(grants.readOnly).toEqual(['kysely_migration', 'kysely_migration_lock']);
    expect(grants.sequences).toContain('audit_events_id_seq');
    expect(grants.appendOnly.filter((table) => grants.mutable.includes(table))).toEqual([]);

    // exactly these privileges, and never TRUNCATE, REFERENCES, TRIGGER or ownership
    const privileges = await admin.query<{ table_name: string; privileges: string[] }>(
      `select table_name::text, array_agg(privilege_type::text order by privilege_type) as privileges
       from information_schema.role_table_grants where grantee = $1 and table_schema = $2 group by table_name`,
      [service, schema],
    );
    for (const { table_name, privileges: granted } of privileges.rows) {
      const expected = grants.mutable.includes(table_name)
        ? ['DELETE', 'INSERT', 'SELECT', 'UPDATE']
        : grants.appendOnly.includes(table_name)
          ? ['INSERT', 'SELECT']
          : ['SELECT'];
      expect(granted, table_name).toEqual(expected);
    }
  });

  it('every table the service updates, deletes from or locks is one it may change: none is append-only', () => {
    const changed = tablesTheServiceChanges();
    expect(changed.size).toBeGreaterThan(0);
    for (const [table, where] of changed) {
      expect(migration.grants.appendOnly, `${table} (${where.join(', ')}) is append-only`).not.toContain(
        table,
      );
      expect(migration.grants.mutable, `${table} (${where.join(', ')})`).toContain(table);
    }
  });

  it('the service role can neither disable, drop nor bypass the triggers, nor truncate, update or delete history', async () => {
    const mustBeOwner = /must be owner of/;
    const denied = /permission denied/;
    expect(await refusal('alter table audit_events disable trigger user')).toMatch(mustBeOwner);
    expect(await refusal('alter table audit_events disable trigger all')).toMatch(mustBeOwner);
    expect(await refusal('alter table fee_schedules disable trigger fee_schedules_immutable')).toMatch(
      mustBeOwner,
    );
    expect(await refusal('drop trigger audit_events_append_only on audit_events')).toMatch(mustBeOwner);
    expect(await refusal('drop table audit_events')).toMatch(mustBeOwner);
    expect(await refusal(`alter table audit_events owner to ${service}`)).toMatch(mustBeOwner);
    expect(
      await refusal(
        'create or replace function refuse_change() returns trigger language plpgsql as $$ begin return new; end $$',
      ),
    ).toMatch(/must be owner of|permission denied for schema/);
    expect(await refusal("update fee_schedules set period_label = 'rewritten'")).toMatch(
      /permission denied for table fee_schedules/,
    );
    expect(await refusal('delete from audit_events')).toMatch(/permission denied for table audit_events/);
    expect(await refusal('truncate audit_events')).toMatch(/permission denied for table audit_events/);
    // placements has no truncate trigger: only the missing privilege stops it
    expect(await refusal('truncate placements')).toMatch(/permission denied for table placements/);
    expect(await refusal('set session_replication_role = replica')).toMatch(denied);
    expect(await refusal('create table sneaky (id int)')).toMatch(/permission denied for schema/);
    expect(await refusal("select setval('audit_events_id_seq', 1)")).toMatch(denied);
    expect(await refusal(`grant ${owner} to ${service}`)).toMatch(/must have admin option|permission denied/);
    expect((await checkServicePrivileges(serviceDb.db)).problems).toEqual([]);
  });

  it('the service role can still do its work: insert into append-only tables, change the mutable ones', async () => {
    expect(
      await refusal(
        `insert into audit_events (actor, actor_role, action, resource_type, resource_id)
         values ('test', 'admin', 'check', 'test', '1')`,
      ),
    ).toBe('');
    const organisation = await asService.query<{ id: string }>(
      `insert into organisations (name, legal_form) values ('Roles CIC', 'community_interest_company') returning id`,
    );
    const home = await asService.query<{ id: string }>(
      `insert into homes (organisation_id, name, host_council, registered_places, opened_on)
       values ($1, 'Before', 'E08000015', 4, '2020-01-01') returning id`,
      [organisation.rows[0]!.id],
    );
    expect(await refusal(`update homes set name = 'After' where id = '${home.rows[0]!.id}'`)).toBe('');
    const renamed = await asService.query('select name from homes where id = $1', [home.rows[0]!.id]);
    expect(renamed.rows).toEqual([{ name: 'After' }]);
  });

  it('the app, connected as the service role, publishes a fee schedule (row locks, inserts, audit)', async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY });
    const app = await buildApp({ config, database: serviceDb, closeDatabase: false });
    try {
      const auth = { authorization: `Bearer ${ADMIN_KEY}` };
      const post = async (url: string, payload: unknown, headers: Record<string, string> = {}) => {
        const response = await app.inject({
          method: 'POST',
          url,
          payload: payload as object,
          headers: { ...auth, ...headers },
        });
        expect(response.statusCode, `${url}: ${response.body}`).toBe(201);
        return response.json() as { id: string };
      };
      const organisation = await post('/v1/organisations', {
        name: 'Service Role CIC',
        legalForm: 'community_interest_company',
      });
      const home = await post('/v1/homes', {
        organisationId: organisation.id,
        name: 'Service Role House',
        hostCouncil: 'E08000015',
        registeredPlaces: 4,
        openedOn: '2020-01-01',
      });
      const draft = await post(`/v1/homes/${home.id}/cost-models`, wirral);
      const schedule = await post(
        `/v1/cost-models/${draft.id}/publish`,
        { effectiveFrom: '2026-10-01' },
        { 'idempotency-key': 'roles-test-publish' },
      );
      const published = await app.inject({
        method: 'GET',
        url: `/v1/fee-schedules/${schedule.id}`,
        headers: auth,
      });
      expect(published.statusCode).toBe(200);
      const audit = await asService.query(
        'select count(*)::int as n from audit_events where resource_id = $1',
        [schedule.id],
      );
      expect(audit.rows[0].n).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('the service started with MIGRATION_DATABASE_URL migrates as the owner, grants, and does not warn', async () => {
    const server = await startServer({
      DATABASE_URL: serviceUrl,
      MIGRATION_DATABASE_URL: ownerUrl,
      DATA_DIR: dataDir,
    });
    servers.push(server.child);
    const migrated = server.lines.find((line) => line.step === 'migrations');
    expect(migrated).toMatchObject({ applied: [], migratedAs: owner, serviceRole: service });
    expect(server.lines.filter((line) => line.level >= 40)).toEqual([]);
    const created = await fetch(`${server.address}/v1/organisations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Started CIC', legalForm: 'community_interest_company' }),
    });
    expect(created.status).toBe(201);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 150_000);

  it('started as the tables’ owner (no MIGRATION_DATABASE_URL, as before), it warns that its role can alter them', async () => {
    const server = await startServer({ DATABASE_URL: ownerUrl, DATA_DIR: dataDir });
    servers.push(server.child);
    const warning = server.lines.find((line) => line.level === 40);
    expect(warning?.role).toBe(owner);
    expect(warning?.msg).toMatch(/can alter its own tables/);
    expect(warning?.problems.join('\n')).toMatch(/it owns .*audit_events/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 150_000);

  /** `npm run cli -- db roles` again, for the roles and the schema the suite set up. */
  const runDbRoles = () =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'db',
        'roles',
        '--owner',
        owner,
        '--service',
        service,
        '--schema',
        schema,
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, DATABASE_URL: baseUrl, LOG_LEVEL: 'silent' } },
    );

  it('`npm run cli -- db roles` is idempotent: a second run keeps the roles and the grants, and prints the URLs', () => {
    const result = runDbRoles();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^MIGRATION_DATABASE_URL=postgres://${owner}@`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^DATABASE_URL=postgres://${service}@`, 'm'));
    expect(result.stderr).toContain(`${owner} existed: its password is unchanged`);
  }, 60_000);

  it('after `db roles` ran again, the service role is still refused', async () => {
    const again = runDbRoles();
    expect(again.status, again.stderr).toBe(0);
    expect(await refusal('alter table audit_events disable trigger user')).toMatch(/must be owner of/);
    expect(await refusal('delete from audit_events')).toMatch(/permission denied/);
    expect((await checkServicePrivileges(serviceDb.db)).problems).toEqual([]);
  }, 60_000);

  it('the owner, and a superuser, are reported as able to alter the tables', async () => {
    const asOwner = await openDatabase({ databaseUrl: ownerUrl, searchPath: schema, poolMax: 1 });
    try {
      const check = await checkServicePrivileges(asOwner.db);
      expect(check.role).toBe(owner);
      expect(check.problems.join('\n')).toMatch(/owns .*audit_events/);
    } finally {
      await asOwner.close();
    }
    const asAdmin = await openDatabase({ databaseUrl: baseUrl, searchPath: schema, poolMax: 1 });
    try {
      const super_ = await admin.query<{ rolsuper: boolean }>(
        'select rolsuper from pg_roles where rolname = current_user',
      );
      if (super_.rows[0]?.rolsuper) {
        expect((await checkServicePrivileges(asAdmin.db)).problems).toEqual(['it is a superuser']);
      }
    } finally {
      await asAdmin.close();
    }
  });
});
