import type { ColumnType, Generated } from 'kysely';

/**
 * Table types for kysely: one interface per table, named as in SQL.
 * Both drivers are set to return numeric, int8 and date columns as strings (see database.ts);
 * timestamptz comes back as a Date on both.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string | undefined, string>;

export interface AppMetaTable {
  key: string;
  value: string;
  updated_at: Generated<Date>;
}

export interface OrganisationsTable {
  id: Generated<string>;
  name: string;
  legal_form: string;
  companies_house_number: string | null;
  surplus_cap_rate: ColumnType<string, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type Role = 'admin' | 'finance' | 'commissioner' | 'regulator';

export interface ApiKeysTable {
  id: Generated<string>;
  prefix: string;
  secret_hash: string;
  role: Role;
  organisation_id: string | null;
  councils: ColumnType<string[], string[] | undefined, string[]>;
  label: string;
  created_at: Generated<Date>;
  created_by: string;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  occurred_at: Generated<Date>;
  actor: string;
  actor_key_id: string | null;
  actor_role: string;
  organisation_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  request_id: string | null;
  before: Json | null;
  after: Json | null;
}

export interface Database {
  app_meta: AppMetaTable;
  organisations: OrganisationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
}
