import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CsvError, parse } from 'csv-parse';
import type { RequestContext } from '../../core/context.js';
import {
  ApplicationError,
  InvalidError,
  type Issue,
  invalidField,
  notFound,
  TooLargeError,
} from '../../core/errors.js';
import { ClientGoneError, checkLifetime, WorkTimeoutError } from '../../core/lifetime.js';
import { assertOrganisation } from '../../core/principal.js';
import type { DatabaseHandle } from '../../db/database.js';
import { recordAudit } from '../audit/index.js';
import { visibleHome } from '../homes/index.js';
import { claimIdempotencyKey, priorUse } from '../idempotency/index.js';
import { findOrganisation } from '../organisations/index.js';
import { partiesByReference } from '../related-parties/index.js';
import { ActualsChecker, type CheckedMonth, isActualCode, type RawRow } from './importer.js';
import {
  batchMonths,
  beginImport,
  finishImport,
  type LineColumns,
  latestMonth,
  listNominalCodes,
  nominalCodeMapping,
  nominalCodeRows,
  replaceNominalCodes,
  writeLines,
} from './repository.js';

export interface ImportSummary {
  homeId: string;
  batchId: string;
  replayed: boolean;
  /** Each month imported, with its new version; `nil` for a month imported as having no spending. */
  months: Array<{ month: string; version: number; rows: number; nil: boolean }>;
}

const REQUIRED = ['month', 'amount'];
/** Lines written per statement: each a short transaction (about 0.1 s on PGlite), others go between. */
const SLICE = 2000;
/** The most bytes a CSV import may have (a 100,000-row file is about 6 MiB). */
export const MAX_CSV_BYTES = 64 * 1024 * 1024;

export type ActualsInput = { kind: 'json'; rows: RawRow[] } | { kind: 'csv'; stream: Readable };

function refused(issues: Issue[], total: number): InvalidError {
  const more = total > issues.length ? ` (the first ${issues.length} of ${total} shown)` : '';
  return new InvalidError(
    issues,
    `The import has ${total} problem${total === 1 ? '' : 's'}${more}; nothing was stored`,
  );
}

/**
 * Imports a home's actual spending from JSON rows or a CSV stream, all or nothing, in three stages:
 *
 * 1. the whole file is read and checked, with no transaction open: a slow, stalled or abandoned
 *    upload costs the database nothing, and a refused one has written nothing;
 * 2. the lines are written in slices of {@link SLICE}, each its own short statement, while the batch
 *    is listed as pending, so that no reader sees a part of it and other requests run between slices
 *    (PGlite has one connection);
 * 3. one short transaction claims the Idempotency-Key, records the audit event and removes the batch
 *    from the pending list: the import becomes visible at once.
 *
 * `signal` ends the work between steps when the client goes away or the request's time is up; an
 * import cut off in stage 2 stays pending, invisible, and its version numbers are not reused. A retry
 * of the same content with the same Idempotency-Key answers with what the first import stored; the
 * key with other content is a 422.
 */
export async function importActuals(
  ctx: RequestContext,
  {
    homeId,
    idempotencyKey,
    input,
    signal,
  }: { homeId: string; idempotencyKey: string; input: ActualsInput; signal?: AbortSignal | undefined },
): Promise<ImportSummary> {
  const { database, principal, requestId } = ctx;
  const home = await visibleHome(ctx, homeId);
  const [mapping, register] = await Promise.all([
    nominalCodeMapping(database.db, home.organisation_id),
    partiesByReference(database.db, home.organisation_id),
  ]);
  const parties = new Map(
    [...register].map(([reference, party]) => [reference, { from: party.from_date, to: party.to_date }]),
  );
  const hash = createHash('sha256').update(`actuals ${homeId}\n`);
  const checker = new ActualsChecker(
    mapping,
    parties,
    input.kind === 'json' ? 'relatedParty' : 'related_party',
  );
  try {
    if (input.kind === 'json') {
      hash.update(JSON.stringify(input.rows));
      for (const row of input.rows) checker.add(row);
    } else {
      await readCsv(input.stream, checker, hash, signal);
    }
  } catch (error) {
    throw stopped(error, signal);
  }
  const months = checker.finish();
  if (checker.totalIssues > 0) throw refused(checker.issues, checker.totalIssues);
  const operation = `actuals ${homeId}`;
  const contentHash = hash.digest('hex');
  const earlier = await priorUse(database.db, principal.actor, idempotencyKey, operation, contentHash);
  if (earlier !== undefined) return summarise(database, homeId, earlier, true);

  const batchId = randomUUID();
  try {
    checkLifetime(signal);
    const imports = await database.db.transaction().execute((trx) =>
      beginImport(trx, {
        batchId,
        home,
        months: months.map((month) => month.month),
        source: input.kind,
        importedBy: principal.actor,
      }),
    );
    for (const slice of slices(months, imports, SLICE)) {
      // Let the event loop take other requests in: without it the slices follow each other in
      // microtasks and, on PGlite, no other request is even read until the last has been written.
      await yieldToEventLoop();
      checkLifetime(signal);
      await writeLines(database.db, slice);
    }
    checkLifetime(signal);
  } catch (error) {
    throw stopped(error, signal);
  }
  const outcome = await database.db.transaction().execute(async (trx) => {
    const claim = await claimIdempotencyKey(
      trx,
      principal.actor,
      idempotencyKey,
      operation,
      contentHash,
      batchId,
    );
    // The same import, finished by a concurrent request: this copy stays pending (never shown).
    if (claim.replayOf) return { batchId: claim.replayOf, replayed: true };
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'import',
      resourceType: 'actuals',
      resourceId: batchId,
      organisationId: home.organisation_id,
      after: {
        homeId,
        months: months.map((month) => ({
          month: month.month.slice(0, 7),
          rows: month.lines.length,
          nil: month.nilRow !== null,
        })),
      },
    });
    await finishImport(trx, batchId);
    return { batchId, replayed: false };
  });
  return summarise(database, homeId, outcome.batchId, outcome.replayed);
}

/** Reads and checks a CSV stream; a stream that errors or closes before its end stops the reading. */
async function readCsv(
  stream: Readable,
  checker: ActualsChecker,
  hash: ReturnType<typeof createHash>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const parser = parse({ columns: true, bom: true, skip_empty_lines: true, trim: true });
  let bytes = 0;
  const stop = (error: Error) => {
    stream.unpipe(parser);
    parser.destroy(error);
  };
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > MAX_CSV_BYTES) {
      stop(new TooLargeError(`A CSV import may be at most ${MAX_CSV_BYTES / 1024 / 1024} MiB`));
      return;
    }
    hash.update(chunk);
  });
  stream.once('error', (error) => stop(error));
  // An upload cut off by its client: the request stream closes without having ended.
  stream.once('close', () => {
    if (!stream.readableEnded) stop(new UploadCutOff());
  });
  const onAbort = () => stop(signal?.reason instanceof Error ? signal.reason : new UploadCutOff());
  signal?.addEventListener('abort', onAbort, { once: true });
  stream.pipe(parser);
  let checkedHeader = false;
  let records = 0;
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
                'is a missing column: the header must name month, code (or nominal_code), amount and optionally description and related_party, separated by commas',
              in: 'body' as const,
            })),
            missing.length,
          );
        }
      }
      checker.add(record);
      // A file that arrives faster than it is checked is read in microtasks only: let others in.
      if (++records % 2000 === 0) await yieldToEventLoop();
    }
  } catch (error) {
    stream.unpipe(parser);
    if (!stream.readableEnded) stream.resume(); // drain what is still coming, so the answer can be sent
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
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The request stream closed before the end of the file: its client cut the upload off. */
class UploadCutOff extends ClientGoneError {
  constructor() {
    super('The upload ended before the end of the file; nothing was stored');
  }
}

/**
 * Why a stopped import stopped: the signal's reason (its time was up, or its client went away; the
 * error handler answers each) unless the import had already been refused for what it holds.
 */
function stopped(error: unknown, signal: AbortSignal | undefined): unknown {
  if (!signal?.aborted) return error;
  const reason: unknown = signal.reason;
  return reason instanceof WorkTimeoutError || !(error instanceof ApplicationError) ? reason : error;
}

/** The checked lines of every month, with their import ids, as column slices of at most `size` lines. */
function* slices(
  months: readonly CheckedMonth[],
  imports: ReadonlyMap<string, { importId: string }>,
  size: number,
): Generator<LineColumns> {
  let slice = emptySlice();
  for (const month of months) {
    const importId = imports.get(month.month)!.importId;
    for (const line of month.lines) {
      slice.importId.push(importId);
      slice.line.push(line.line);
      slice.code.push(line.code);
      slice.amount.push(line.amount);
      slice.nominalCode.push(line.nominalCode);
      slice.description.push(line.description);
      slice.relatedParty.push(line.relatedParty);
      if (slice.line.length >= size) {
        yield slice;
        slice = emptySlice();
      }
    }
  }
  if (slice.line.length > 0) yield slice;
}

function emptySlice(): LineColumns {
  return { importId: [], line: [], code: [], amount: [], nominalCode: [], description: [], relatedParty: [] };
}

async function summarise(
  database: DatabaseHandle,
  homeId: string,
  batchId: string,
  replayed: boolean,
): Promise<ImportSummary> {
  return { homeId, batchId, replayed, months: await batchMonths(database.db, batchId) };
}

/** A provider's own nominal code and the method's code it stands for. */
export interface NominalCodeMapping {
  nominalCode: string;
  code: string;
}

/**
 * Replaces an organisation's whole mapping of its nominal codes to the method's codes: each code must
 * be a cost code of the method, and no nominal code may be mapped twice.
 */
export async function replaceNominalCodeMapping(
  ctx: RequestContext,
  { organisationId, mappings }: { organisationId: string; mappings: NominalCodeMapping[] },
): Promise<{ mappings: NominalCodeMapping[] }> {
  const { database, principal, requestId } = ctx;
  assertOrganisation(principal, organisationId, 'Organisation');
  mappings.forEach((mapping, index) => {
    if (!isActualCode(mapping.code))
      throw invalidField(`/mappings/${index}/code`, 'is not a cost code of the method');
  });
  const seen = new Set<string>();
  mappings.forEach((mapping, index) => {
    if (seen.has(mapping.nominalCode))
      throw invalidField(`/mappings/${index}/nominalCode`, 'is mapped twice');
    seen.add(mapping.nominalCode);
  });
  await database.db.transaction().execute(async (trx) => {
    // An admin may name any organisation: one that does not exist is a 404, not a foreign key violation.
    if (!(await findOrganisation(trx, organisationId))) throw notFound('Organisation');
    const before = await nominalCodeRows(trx, organisationId);
    await replaceNominalCodes(trx, organisationId, mappings);
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'update',
      resourceType: 'nominal_code_mapping',
      resourceId: organisationId,
      organisationId,
      before: before.map((m) => ({ nominalCode: m.nominal_code, code: m.spec_code })),
      after: mappings,
    });
  });
  return { mappings };
}

/** An organisation's mapping of its nominal codes, in the order of the nominal codes. */
export async function getNominalCodeMapping(
  ctx: RequestContext,
  organisationId: string,
): Promise<{ mappings: NominalCodeMapping[] }> {
  assertOrganisation(ctx.principal, organisationId, 'Organisation');
  const rows = await listNominalCodes(ctx.database.db, organisationId);
  return { mappings: rows.map((row) => ({ nominalCode: row.nominal_code, code: row.spec_code })) };
}

/** A home's actual spending for a month (`YYYY-MM`): the latest finished import of it, by code. */
export async function actualsForMonth(
  ctx: RequestContext,
  { homeId, month }: { homeId: string; month: string },
) {
  await visibleHome(ctx, homeId);
  const found = await latestMonth(ctx.database.db, homeId, `${month}-01`);
  if (!found) throw notFound(`Actuals for ${month}`);
  const { latest, byCode, byRelatedParty, total } = found;
  return {
    homeId,
    month,
    version: latest.version,
    importedAt: latest.imported_at.toISOString(),
    importedBy: latest.imported_by,
    total: byCode.length === 0 ? '0.00' : total,
    nil: byCode.length === 0,
    byCode: byCode.map((row) => ({ code: row.code, amount: String(row.amount) })),
    byRelatedParty: byRelatedParty.map((row) => ({ ...row, amount: String(row.amount) })),
  };
}
