import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { DatabaseHandle } from '../../db/database.js';
import type { Principal } from '../../http/auth.js';
import { ProblemError } from '../../http/errors.js';
import { claimIdempotencyKey } from '../../http/idempotency.js';
import { type ProblemIssue, problem, problemTypes } from '../../http/problem.js';
import { recordAudit } from '../audit/repository.js';
import { visibleHome } from '../homes/service.js';
import { ActualsImporter, type RawRow } from './importer.js';

export interface ImportSummary {
  homeId: string;
  batchId: string;
  replayed: boolean;
  /** Each month imported, with its new version; `nil` for a month imported as having no spending. */
  months: Array<{ month: string; version: number; rows: number; nil: boolean }>;
}

const REQUIRED = ['month', 'amount'];

/** Thrown inside the transaction to undo a repeated import and answer with the first one. */
class Replay extends Error {
  constructor(readonly batchId: string) {
    super('idempotent replay');
  }
}

function refused(issues: ProblemIssue[], total: number): ProblemError {
  const more = total > issues.length ? ` (the first ${issues.length} of ${total} shown)` : '';
  return new ProblemError(
    problem(
      422,
      `The import has ${total} problem${total === 1 ? '' : 's'}${more}; nothing was stored`,
      problemTypes.validation,
      {
        errors: issues,
      },
    ),
  );
}

/**
 * Imports a home's actual spending from JSON rows or a CSV stream, all or nothing, in one transaction.
 * The Idempotency-Key is claimed at the end, when the content's hash is known: a retry of the same
 * content answers with what the first import stored; the key with other content is a 422.
 */
export async function importActuals(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  homeId: string,
  idempotencyKey: string,
  input: { kind: 'json'; rows: RawRow[] } | { kind: 'csv'; stream: Readable },
): Promise<ImportSummary> {
  const home = await visibleHome(database, principal, homeId);
  const mappingRows = await database.db
    .selectFrom('nominal_code_mappings')
    .select(['nominal_code', 'spec_code'])
    .where('organisation_id', '=', home.organisation_id)
    .execute();
  const mapping = new Map(mappingRows.map((row) => [row.nominal_code, row.spec_code]));
  const hash = createHash('sha256').update(`actuals ${homeId}\n`);
  const outcome = await database.db
    .transaction()
    .execute(async (trx) => {
      const importer = new ActualsImporter(trx, principal, home, mapping, input.kind, randomUUID());
      if (input.kind === 'json') {
        hash.update(JSON.stringify(input.rows));
        for (const row of input.rows) await importer.add(row);
      } else {
        input.stream.on('data', (chunk: Buffer) => hash.update(chunk));
        const parser = input.stream.pipe(
          parse({ columns: true, bom: true, skip_empty_lines: true, trim: true }),
        );
        let checkedHeader = false;
        try {
          for await (const record of parser as AsyncIterable<Record<string, string>>) {
            if (!checkedHeader) {
              checkedHeader = true;
              const columns = Object.keys(record);
              const missing = REQUIRED.filter((column) => !columns.includes(column));
              if (!columns.includes('code') && !columns.includes('nominal_code')) missing.push('code');
              if (missing.length > 0) {
                throw refused(
                  missing.map((column) => ({
                    pointer: `/rows/0/${column}`,
                    message:
                      'is a missing column: the header must name month, code (or nominal_code), amount and optionally description, separated by commas',
                    in: 'body' as const,
                  })),
                  missing.length,
                );
              }
            }
            await importer.add(record);
          }
        } catch (error) {
          if (error instanceof CsvError) {
            const line = (error as CsvError & { lines?: number }).lines ?? 0;
            throw refused(
              [
                {
                  pointer: `/rows/${Math.max(0, line - 1)}`,
                  message: `is not valid CSV: ${error.message}`,
                  in: 'body',
                },
              ],
              1,
            );
          }
          throw error;
        }
      }
      const months = await importer.finish();
      if (importer.totalIssues > 0) throw refused(importer.issues, importer.totalIssues);
      const claim = await claimIdempotencyKey(
        trx,
        principal.actor,
        idempotencyKey,
        `actuals ${homeId}`,
        hash.digest('hex'),
        importer.batchId,
      );
      if (claim.replayOf) throw new Replay(claim.replayOf); // roll this copy back and answer with the first one
      await recordAudit(trx, {
        principal,
        requestId,
        action: 'import',
        resourceType: 'actuals',
        resourceId: importer.batchId,
        organisationId: home.organisation_id,
        after: { homeId, months },
      });
      return { batchId: importer.batchId, replayed: false };
    })
    .catch((error: unknown) => {
      if (error instanceof Replay) return { batchId: error.batchId, replayed: true };
      throw error;
    });
  return summarise(database, homeId, outcome.batchId, outcome.replayed);
}

async function summarise(
  database: DatabaseHandle,
  homeId: string,
  batchId: string,
  replayed: boolean,
): Promise<ImportSummary> {
  const rows = await database.db
    .selectFrom('actuals_imports as i')
    .leftJoin('actual_amounts as a', 'a.import_id', 'i.id')
    .select(['i.month', 'i.version', (eb) => eb.fn.count<string>('a.line').as('rows')])
    .where('i.batch_id', '=', batchId)
    .groupBy(['i.month', 'i.version'])
    .orderBy('i.month')
    .execute();
  return {
    homeId,
    batchId,
    replayed,
    months: rows.map((row) => ({
      month: row.month.slice(0, 7),
      version: row.version,
      rows: Number(row.rows),
      nil: Number(row.rows) === 0,
    })),
  };
}
