import type { Generated } from 'kysely';

/**
 * Table types for kysely: one interface per table, named as in SQL.
 * Both drivers are set to return numeric, int8 and date columns as strings (see database.ts).
 */
export interface AppMetaTable {
  key: string;
  value: string;
  updated_at: Generated<Date>;
}

export interface Database {
  app_meta: AppMetaTable;
}
