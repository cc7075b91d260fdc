import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { grantServiceRole } from '../db/roles.js';

/**
 * `db roles --owner NAME --service NAME [--admin-url URL] [--schema NAME] [--new-passwords]`
 *
 * Connected as an administrator (a superuser, or a role with CREATEROLE that may hand the schema over),
 * makes the two roles of docs/operations.md, idempotently:
 * - the owner (LOGIN): owns the schema and everything in it; only migrations connect as it
 *   (MIGRATION_DATABASE_URL);
 * - the service (LOGIN, no superuser, no CREATEDB/CREATEROLE/BYPASSRLS/REPLICATION, not a member of
 *   the owner): owns nothing; the grants of grantServiceRole() (DATABASE_URL).
 * A role is given a random password when it is created (or with --new-passwords); an existing
 * role's password is left as it is. Prints the two URLs.
 */
export async function dbCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'roles') {
    process.stderr.write(
      'Usage: npm run cli -- db roles --owner NAME --service NAME [--admin-url URL] [--schema NAME] [--new-passwords]\n',
    );
    return 64;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      owner: { type: 'string' },
      service: { type: 'string' },
      'admin-url': { type: 'string' },
      schema: { type: 'string', default: 'public' },
      'new-passwords': { type: 'boolean', default: false },
    },
  });
  const owner = values.owner;
  const service = values.service;
  const schema = values.schema ?? 'public';
  for (const [option, name] of [
    ['--owner', owner],
    ['--service', service],
    ['--schema', schema],
  ] as const) {
    if (!name || !ROLE_NAME.test(name)) {
      process.stderr.write(
        `${option} must be a lower-case name of letters, digits and _ (up to 63), starting with a letter or _\n`,
      );
      return 64;
    }
  }
  if (owner === service) {
    process.stderr.write('--owner and --service must be two different roles\n');
    return 64;
  }
  const adminUrl = values['admin-url'] ?? loadConfig().DATABASE_URL;
  if (!adminUrl) {
    process.stderr.write('Give an administrator connection: --admin-url postgres://… (or DATABASE_URL)\n');
    return 64;
  }
  const report = await setUpRoles({
    adminUrl,
    owner: owner!,
    service: service!,
    schema,
    newPasswords: values['new-passwords'] ?? false,
  });
  for (const line of report.notes) process.stderr.write(`${line}\n`);
  process.stdout.write(
    [
      `Roles ready in database "${report.database}", schema "${schema}":`,
      `  ${owner} (owner): owns the schema and its ${report.ownedObjects} objects; migrations only`,
      `  ${service} (service): owns nothing; ${report.grants}`,
      '',
      'Set, for migrations (the service runs them at start when this is set; or `npm run cli -- migrate`):',
      `MIGRATION_DATABASE_URL=${report.ownerUrl}`,
      'and for the service:',
      `DATABASE_URL=${report.serviceUrl}`,
      '',
    ].join('\n'),
  );
  return 0;
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface SetUpRolesOptions {
  adminUrl: string;
  owner: string;
  service: string;
  schema: string;
  newPasswords: boolean;
}

export interface SetUpRolesReport {
  database: string;
  ownerUrl: string;
  serviceUrl: string;
  ownedObjects: number;
  grants: string;
  notes: string[];
}

export async function setUpRoles(options: SetUpRolesOptions): Promise<SetUpRolesReport> {
  const { adminUrl, owner, service, schema } = options;
  const notes: string[] = [];
  const client = new pg.Client({
    connectionString: adminUrl,
    application_name: 'cost-plus-care-pricing db roles',
  });
  await client.connect();
  const id = (name: string) => client.escapeIdentifier(name);
  const passwords = new Map<string, string>();
  let database: string;
  let ownedObjects = 0;
  let tables = 0;
  try {
    const me = (
      await client.query<{ role: string; database: string; superuser: boolean; createrole: boolean }>(
        `select current_user as role, current_database() as database, rolsuper as superuser, rolcreaterole as createrole
         from pg_roles where rolname = current_user`,
      )
    ).rows[0]!;
    database = me.database;
    if (!me.superuser && !me.createrole) {
      throw new Error(`${me.role} may not create roles: connect as a superuser (--admin-url)`);
    }
    if (me.role === owner || me.role === service) {
      throw new Error(`Connect as an administrator, not as ${me.role} (one of the two roles being made)`);
    }

    await client.query('begin');
    for (const role of [owner, service]) {
      await makeLoginRole(client, role, options.newPasswords, passwords, notes);
    }
    await client.query(
      `alter role ${id(service)} nosuperuser nocreatedb nocreaterole noreplication nobypassrls`,
    );
    const member = (
      await client.query<{ member: boolean }>(`select pg_has_role($1, $2, 'MEMBER') as member`, [
        service,
        owner,
      ])
    ).rows[0]!;
    if (member.member) {
      throw new Error(`${service} is a member of ${owner}, so it has the owner's rights: revoke that first`);
    }
    await client.query(`grant connect on database ${id(database)} to ${id(owner)}, ${id(service)}`);

    // The schema and everything in it belong to the owner (an existing deployment's tables too).
    await client.query(`create schema if not exists ${id(schema)} authorization ${id(owner)}`);
    await client.query(`alter schema ${id(schema)} owner to ${id(owner)}`);
    await client.query(`revoke create on schema ${id(schema)} from public`);
    await client.query(`grant usage on schema ${id(schema)} to ${id(service)}`);
    ({ objects: ownedObjects, tables } = await handOver(client, schema, owner));
    if (schema !== 'public') {
      for (const role of [owner, service]) {
        await client.query(
          `alter role ${id(role)} in database ${id(database)} set search_path = ${id(schema)}`,
        );
      }
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }

  // The service role's grants, when the tables exist (otherwise the first migration makes them).
  let grants = 'its grants are made after the first migration';
  if (tables > 0) {
    const admin = await openDatabase({ databaseUrl: adminUrl, poolMax: 1, searchPath: schema });
    try {
      const summary = await grantServiceRole(admin.db, service, schema);
      grants =
        `SELECT and INSERT on ${summary.appendOnly.length + summary.mutable.length} tables, ` +
        `UPDATE and DELETE on ${summary.mutable.length} of them (not on the ${summary.appendOnly.length} append-only ones), ` +
        `SELECT on ${summary.readOnly.length} others`;
    } finally {
      await admin.close();
    }
  }

  const urlFor = (role: string) => {
    const url = new URL(adminUrl);
    url.username = role;
    url.password = passwords.get(role) ?? '';
    return url.toString();
  };
  const ownerUrl = urlFor(owner);
  const serviceUrl = urlFor(service);
  return { database, ownerUrl, serviceUrl, ownedObjects, grants, notes };
}

/**
 * Creates the role with LOGIN (or gives an existing one LOGIN), refusing a superuser. A new role, or any
 * role with --new-passwords, gets a random password, recorded in `passwords`; an existing role keeps its own.
 */
async function makeLoginRole(
  client: pg.Client,
  role: string,
  newPasswords: boolean,
  passwords: Map<string, string>,
  notes: string[],
): Promise<void> {
  const id = (name: string) => client.escapeIdentifier(name);
  const existing = (
    await client.query<{ rolsuper: boolean }>('select rolsuper from pg_roles where rolname = $1', [role])
  ).rows[0];
  if (existing?.rolsuper) {
    throw new Error(
      `${role} is a superuser: a superuser can disable any trigger. Choose another name, or make it NOSUPERUSER yourself`,
    );
  }
  if (!existing || newPasswords) {
    const password = randomBytes(24).toString('base64url');
    passwords.set(role, password);
    await client.query(
      `${existing ? 'alter' : 'create'} role ${id(role)} login password ${client.escapeLiteral(password)}`,
    );
  } else {
    await client.query(`alter role ${id(role)} login`);
    notes.push(`${role} existed: its password is unchanged (--new-passwords sets new ones)`);
  }
}

/** Gives the owner every table, view, sequence, function and type in the schema; counts them. */
async function handOver(
  client: pg.Client,
  schema: string,
  owner: string,
): Promise<{ objects: number; tables: number }> {
  const id = (name: string) => client.escapeIdentifier(name);
  const relations = await client.query<{ name: string; kind: string; owned: boolean }>(
    `select c.relname as name, c.relkind::text as kind, r.rolname = $2 as owned
     from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_roles r on r.oid = c.relowner
     where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
       -- a serial or identity column's sequence follows its table
       and not (c.relkind = 'S' and exists (
         select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')
           and d.refclassid = 'pg_class'::regclass))
     order by c.relname`,
    [schema, owner],
  );
  const command: Record<string, string> = {
    r: 'table',
    p: 'table',
    f: 'foreign table',
    v: 'view',
    m: 'materialized view',
    S: 'sequence',
  };
  for (const relation of relations.rows) {
    if (relation.owned) continue;
    await client.query(
      `alter ${command[relation.kind]} ${id(schema)}.${id(relation.name)} owner to ${id(owner)}`,
    );
  }
  const functions = await client.query<{ signature: string; owned: boolean; kind: string }>(
    `select p.oid::regprocedure::text as signature, r.rolname = $2 as owned, p.prokind::text as kind
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_roles r on r.oid = p.proowner
     where n.nspname = $1`,
    [schema, owner],
  );
  for (const fn of functions.rows) {
    if (fn.owned) continue;
    // regprocedure text is already schema-qualified and quoted where needed
    await client.query(
      `alter ${fn.kind === 'p' ? 'procedure' : 'function'} ${fn.signature} owner to ${id(owner)}`,
    );
  }
  const types = await client.query<{ name: string; owned: boolean; kind: string }>(
    `select t.typname as name, r.rolname = $2 as owned, t.typtype::text as kind
     from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_roles r on r.oid = t.typowner
     where n.nspname = $1 and t.typtype in ('e', 'd')`,
    [schema, owner],
  );
  for (const type of types.rows) {
    if (type.owned) continue;
    const what = type.kind === 'd' ? 'domain' : 'type';
    await client.query(`alter ${what} ${id(schema)}.${id(type.name)} owner to ${id(owner)}`);
  }
  return {
    objects: relations.rows.length + functions.rows.length + types.rows.length,
    tables: relations.rows.filter((relation) => relation.kind !== 'S').length,
  };
}
