import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Only imports that have finished: a batch listed in actuals_pending is still being written (or was
 * cut off mid-write) and is left out by every reader. Use on a query over `actuals_imports` (or an
 * alias of it).
 */
export function finishedImport(alias: string) {
  return sql<boolean>`not exists (select 1 from actuals_pending pending where pending.batch_id = ${sql.ref(`${alias}.batch_id`)})`;
}

/** The organisation's mapping of its own nominal codes to the method's codes. */
export async function nominalCodeMapping(db: Db, organisationId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('nominal_code_mappings')
    .select(['nominal_code', 'spec_code'])
    .where('organisation_id', '=', organisationId)
    .execute();
  return new Map(rows.map((row) => [row.nominal_code, row.spec_code]));
}

/** The organisation's mapping as stored (in no particular order), for the audit trail of a change. */
export async function nominalCodeRows(db: Db, organisationId: string) {
  return db
    .selectFrom('nominal_code_mappings')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .execute();
}

/** The organisation's mapping in the order of its nominal codes. */
export async function listNominalCodes(db: Db, organisationId: string) {
  return db
    .selectFrom('nominal_code_mappings')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('nominal_code')
    .execute();
}

/** Replaces the organisation's whole mapping, inside the caller's transaction. */
export async function replaceNominalCodes(
  trx: Transaction<Database>,
  organisationId: string,
  mappings: ReadonlyArray<{ nominalCode: string; code: string }>,
): Promise<void> {
  await trx.deleteFrom('nominal_code_mappings').where('organisation_id', '=', organisationId).execute();
  if (mappings.length === 0) return;
  await trx
    .insertInto('nominal_code_mappings')
    .values(
      mappings.map((m) => ({
        organisation_id: organisationId,
        nominal_code: m.nominalCode,
        spec_code: m.code,
      })),
    )
    .execute();
}

/**
 * Starts writing an import, inside the caller's (short) transaction: a new version of each month
 * (after every earlier one, finished or not, so that a number is never given twice), and the batch
 * listed as pending. The home's row is locked while the versions are numbered, so that two imports
 * of one home never take the same number.
 */
export async function beginImport(
  trx: Transaction<Database>,
  input: {
    batchId: string;
    home: { id: string; organisation_id: string };
    months: readonly string[];
    source: 'json' | 'csv';
    importedBy: string;
  },
): Promise<Map<string, { importId: string; version: number }>> {
  await trx.selectFrom('homes').select('id').where('id', '=', input.home.id).forUpdate().execute();
  await trx
    .insertInto('actuals_pending')
    .values({ batch_id: input.batchId, home_id: input.home.id })
    .execute();
  const previous = await trx
    .selectFrom('actuals_imports')
    .select(['month', sql<number>`max(version)`.as('version')])
    .where('home_id', '=', input.home.id)
    .where('month', 'in', [...input.months])
    .groupBy('month')
    .execute();
  const last = new Map(previous.map((row) => [row.month, Number(row.version)]));
  const created = new Map<string, { importId: string; version: number }>();
  for (const month of input.months) {
    const version = (last.get(month) ?? 0) + 1;
    const row = await trx
      .insertInto('actuals_imports')
      .values({
        batch_id: input.batchId,
        organisation_id: input.home.organisation_id,
        home_id: input.home.id,
        month,
        version,
        source: input.source,
        imported_by: input.importedBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    created.set(month, { importId: row.id, version });
  }
  return created;
}

/** A slice of an import's lines, as columns. */
export interface LineColumns {
  importId: string[];
  line: number[];
  code: string[];
  amount: string[];
  nominalCode: (string | null)[];
  description: (string | null)[];
  /** The register reference of the related party each line pays (method §7), or null. */
  relatedParty: (string | null)[];
}

/** Writes a slice of lines in one statement (its own short transaction). */
export async function writeLines(db: Db, columns: LineColumns): Promise<void> {
  if (columns.line.length === 0) return;
  await sql`
    insert into actual_amounts (import_id, line, code, amount, nominal_code, description, related_party)
    select * from unnest(
      ${columns.importId}::uuid[], ${columns.line}::integer[], ${columns.code}::text[],
      ${columns.amount}::numeric[], ${columns.nominalCode}::text[], ${columns.description}::text[],
      ${columns.relatedParty}::text[]
    )
  `.execute(db);
}

/** Makes a written import visible, inside the caller's last transaction of the import. */
export async function finishImport(trx: Transaction<Database>, batchId: string): Promise<void> {
  await trx.deleteFrom('actuals_pending').where('batch_id', '=', batchId).execute();
}

/** What a finished batch imported, month by month: the summary an import (or its replay) answers with. */
export async function batchMonths(db: Db, batchId: string) {
  const rows = await db
    .selectFrom('actuals_imports as i')
    .leftJoin('actual_amounts as a', 'a.import_id', 'i.id')
    .select(['i.month', 'i.version', (eb) => eb.fn.count<string>('a.line').as('rows')])
    .where('i.batch_id', '=', batchId)
    .groupBy(['i.month', 'i.version'])
    .orderBy('i.month')
    .execute();
  return rows.map((row) => ({
    month: row.month.slice(0, 7),
    version: row.version,
    rows: Number(row.rows),
    nil: Number(row.rows) === 0,
  }));
}

/**
 * The latest finished import of a home's month, with its spending by code and, of that, what the
 * rows naming a related party paid it by party and code; undefined when none.
 */
export async function latestMonth(db: Db, homeId: string, month: string) {
  const latest = await db
    .selectFrom('actuals_imports as i')
    .selectAll()
    .where('i.home_id', '=', homeId)
    .where('i.month', '=', month)
    .where(finishedImport('i'))
    .orderBy('i.version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest) return undefined;
  const byCode = await db
    .selectFrom('actual_amounts')
    .select(['code', (eb) => eb.fn.sum<string>('amount').as('amount')])
    .where('import_id', '=', latest.id)
    .groupBy('code')
    .orderBy('code')
    .execute();
  const total = await db
    .selectFrom('actual_amounts')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('amount'), eb.val('0')).as('total'))
    .where('import_id', '=', latest.id)
    .executeTakeFirstOrThrow();
  const byRelatedParty = await db
    .selectFrom('actual_amounts')
    .select(['related_party', 'code', (eb) => eb.fn.sum<string>('amount').as('amount')])
    .where('import_id', '=', latest.id)
    .where('related_party', 'is not', null)
    .groupBy(['related_party', 'code'])
    .orderBy('related_party')
    .orderBy('code')
    .execute();
  return {
    latest,
    byCode,
    byRelatedParty: byRelatedParty.map((row) => ({
      relatedParty: row.related_party!,
      code: row.code,
      amount: row.amount,
    })),
    total: String(total.total),
  };
}
