import { type Kysely, sql } from 'kysely';
import { type DatabaseHandle, openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';

/**
 * PostgreSQL roles: the tables belong to an owner role that only migrations use (MIGRATION_DATABASE_URL),
 * and the service connects as a role that owns nothing (DATABASE_URL). Only a table's owner (or a
 * superuser) can disable or drop its triggers, alter or drop it, so the append-only triggers
 * (refuse_change(), migrations/0002…) hold against the service's own credentials.
 *
 * PGlite has one process and one database user: there the guarantee is the triggers and the data
 * folder's permissions (docs/operations.md).
 */

/** The trigger function of every append-only table (migrations/0002_access_control.ts). */
export const APPEND_ONLY_FUNCTION = 'refuse_change';

/** kysely's bookkeeping: the service may read it (to see that nothing is pending), never write it. */
const isBookkeeping = (table: string) => table.startsWith('kysely_');

// biome-ignore lint/suspicious/noExplicitAny: works on any schema (and before the tables exist)
type AnyDb = Kysely<any>;

export interface GrantSummary {
  schema: string;
  serviceRole: string;
  /** SELECT, INSERT: tables with a refuse_change() trigger. */
  appendOnly: string[];
  /** SELECT, INSERT, UPDATE, DELETE: tables without one. */
  mutable: string[];
  /** SELECT only: kysely's migration tables, views. */
  readOnly: string[];
  /** USAGE, SELECT (nextval and currval, not setval). */
  sequences: string[];
}

/**
 * Gives the service role what it needs in `schema` and nothing else, from the owner's connection (or
 * an administrator's). Every table: SELECT and INSERT; UPDATE and DELETE only on tables that carry no
 * append-only trigger (read from pg_trigger, so a new table is covered by the next run); sequences:
 * USAGE and SELECT; functions: EXECUTE; the schema: USAGE. Never TRUNCATE, REFERENCES or TRIGGER,
 * never ownership, never CREATE on the schema. Each table's grants are revoked and made again, so a
 * table that has become append-only loses UPDATE and DELETE. One transaction; run after every migration.
 */
export async function grantServiceRole(
  db: AnyDb,
  serviceRole: string,
  schema: string,
): Promise<GrantSummary> {
  return db.transaction().execute(async (trx) => {
    const me = await sql<{ role: string }>`select current_user as role`.execute(trx);
    if (me.rows[0]?.role === serviceRole) {
      throw new Error(
        `The service role "${serviceRole}" is the role making the grants: the service must connect as a role that owns nothing (see docs/operations.md)`,
      );
    }
    const role = sql.id(serviceRole);
    const relations = await sql<{ name: string; kind: string; append_only: boolean }>`
      select c.relname as name, c.relkind::text as kind,
        exists (
          select 1 from pg_trigger t join pg_proc p on p.oid = t.tgfoid
          where t.tgrelid = c.oid and not t.tgisinternal and p.proname = ${APPEND_ONLY_FUNCTION}
        ) as append_only
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
      order by c.relname
    `.execute(trx);
    const summary: GrantSummary = {
      schema,
      serviceRole,
      appendOnly: [],
      mutable: [],
      readOnly: [],
      sequences: [],
    };
    await sql`grant usage on schema ${sql.id(schema)} to ${role}`.execute(trx);
    await sql`revoke create on schema ${sql.id(schema)} from ${role}`.execute(trx);
    for (const { name, kind, append_only } of relations.rows) {
      const target = sql.id(schema, name);
      if (kind === 'S') {
        await sql`revoke all on sequence ${target} from ${role}`.execute(trx);
        await sql`grant usage, select on sequence ${target} to ${role}`.execute(trx);
        summary.sequences.push(name);
        continue;
      }
      await sql`revoke all on table ${target} from ${role}`.execute(trx);
      if (kind !== 'r' && kind !== 'p') {
        await sql`grant select on table ${target} to ${role}`.execute(trx);
        summary.readOnly.push(name);
      } else if (isBookkeeping(name)) {
        await sql`grant select on table ${target} to ${role}`.execute(trx);
        summary.readOnly.push(name);
      } else if (append_only) {
        await sql`grant select, insert on table ${target} to ${role}`.execute(trx);
        summary.appendOnly.push(name);
      } else {
        await sql`grant select, insert, update, delete on table ${target} to ${role}`.execute(trx);
        summary.mutable.push(name);
      }
    }
    await sql`grant execute on all functions in schema ${sql.id(schema)} to ${role}`.execute(trx);
    return summary;
  });
}

export interface PrivilegeCheck {
  role: string;
  schema: string;
  /** Why this role could change or remove what is recorded; empty when it cannot. */
  problems: string[];
}

/**
 * What the connected role could do to the recorded history beyond what its grants let the triggers
 * refuse: be a superuser (disable triggers, `session_replication_role`), own a table or be a member of
 * its owner (ALTER TABLE … DISABLE TRIGGER, DROP), own the schema (DROP TABLE), or TRUNCATE an
 * append-only table (TRUNCATE fires no row trigger).
 */
export async function checkServicePrivileges(db: AnyDb): Promise<PrivilegeCheck> {
  const result = await sql<{
    role: string;
    schema: string;
    superuser: boolean;
    owns_schema: boolean;
    owned: string[];
    truncatable: string[];
  }>`
    select current_user as role, current_schema() as schema,
      coalesce((select rolsuper from pg_roles where rolname = current_user), false) as superuser,
      coalesce((
        select pg_has_role(current_user, n.nspowner, 'MEMBER') from pg_namespace n
        where n.nspname = current_schema()
      ), false) as owns_schema,
      array(
        select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind in ('r', 'p')
          and pg_has_role(current_user, c.relowner, 'MEMBER')
        order by 1
      ) as owned,
      array(
        select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind in ('r', 'p')
          and has_table_privilege(c.oid, 'TRUNCATE')
          and exists (
            select 1 from pg_trigger t join pg_proc p on p.oid = t.tgfoid
            where t.tgrelid = c.oid and not t.tgisinternal and p.proname = ${APPEND_ONLY_FUNCTION}
          )
        order by 1
      ) as truncatable
  `.execute(db);
  const row = result.rows[0]!;
  const problems: string[] = [];
  if (row.superuser) problems.push('it is a superuser');
  else {
    if (row.owned.length > 0)
      problems.push(`it owns (or is a member of the owner of) ${row.owned.join(', ')}`);
    if (row.owns_schema) problems.push(`it owns (or is a member of the owner of) the schema ${row.schema}`);
    if (row.truncatable.length > 0) {
      problems.push(`it may TRUNCATE the append-only tables ${row.truncatable.join(', ')}`);
    }
  }
  return { role: row.role, schema: row.schema, problems };
}

export interface OwnerMigration {
  applied: string[];
  ownerRole: string;
  grants: GrantSummary;
}

export interface MigrateAsOwnerOptions {
  /** The owner's URL (MIGRATION_DATABASE_URL). */
  migrationUrl: string;
  /** The service's own connection (DATABASE_URL): its role receives the grants. */
  service: DatabaseHandle;
  /** As the service's connection has it (tests); else each role's default search_path. */
  searchPath?: string | undefined;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
}

/**
 * Migrations through the owner's connection, then the service role's grants (so a new table gets its
 * grants at once). Both connections must be in the same schema and must be different roles.
 */
export async function migrateAsOwner(options: MigrateAsOwnerOptions): Promise<OwnerMigration> {
  const whoAmI = async (db: AnyDb) =>
    (
      await sql<{
        role: string;
        schema: string | null;
      }>`select current_user as role, current_schema() as schema`.execute(db)
    ).rows[0]!;
  let service = await whoAmI(options.service.db);
  const owner = await openDatabase({
    databaseUrl: options.migrationUrl,
    searchPath: options.searchPath,
    poolMax: 1,
    applicationName: 'cost-plus-care-pricing migrations',
    ...(options.statementTimeoutMs ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
    ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.idleInTransactionTimeoutMs
      ? { idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs }
      : {}),
  });
  try {
    const me = await whoAmI(owner.db);
    if (me.role === service.role) {
      throw new Error(
        `MIGRATION_DATABASE_URL and DATABASE_URL both connect as "${me.role}": DATABASE_URL must be a role that owns nothing (npm run cli -- db roles)`,
      );
    }
    if (me.schema && !service.schema) {
      // The service role has no schema it may use yet (a first start): its search_path names the
      // owner's schema but USAGE comes with the grants. Grant USAGE, then look again.
      await sql`grant usage on schema ${sql.id(me.schema)} to ${sql.id(service.role)}`.execute(owner.db);
      service = await whoAmI(options.service.db);
    }
    if (!me.schema || me.schema !== service.schema) {
      throw new Error(
        `MIGRATION_DATABASE_URL works in schema "${me.schema ?? '(none)'}" but DATABASE_URL in "${service.schema ?? '(none)'}": both must use the same schema (search_path)`,
      );
    }
    const applied = await migrateToLatest(owner.db);
    const grants = await grantServiceRole(owner.db, service.role, me.schema);
    return { applied, ownerRole: me.role, grants };
  } finally {
    await owner.close();
  }
}

export interface PreparedSchema {
  applied: string[];
  /** When migrated as the owner (MIGRATION_DATABASE_URL): who, and what the service role was granted. */
  owner: OwnerMigration | null;
  /** PostgreSQL: what the service's role could do to its own tables (none is the aim). */
  privileges: PrivilegeCheck | null;
}

/**
 * The one way the service and the CLI bring a database up to date: as the tables' owner when
 * `migrationUrl` is given (then the service role's grants), else through the service's own
 * connection; then, on PostgreSQL, what the service's role could still do to its tables.
 */
export async function prepareSchema(
  database: DatabaseHandle,
  options: Omit<MigrateAsOwnerOptions, 'migrationUrl' | 'service'> & { migrationUrl?: string | undefined },
): Promise<PreparedSchema> {
  const { migrationUrl, ...rest } = options;
  const owner = migrationUrl ? await migrateAsOwner({ ...rest, migrationUrl, service: database }) : null;
  const applied = owner ? owner.applied : await migrateToLatest(database.db);
  const privileges = database.engine === 'postgres' ? await checkServicePrivileges(database.db) : null;
  return { applied, owner, privileges };
}
