import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CsvError, parse } from 'csv-parse';
import type { DatabaseHandle } from '../../db/database.js';
import type { Principal } from '../../http/auth.js';
import { ProblemError } from '../../http/errors.js';
import { claimIdempotencyKey, priorUse } from '../../http/idempotency.js';
import { ClientGoneError, checkLifetime, WorkTimeoutError } from '../../http/lifetime.js';
import { type ProblemIssue, problem, problemTypes } from '../../http/problem.js';
import { recordAudit } from '../audit/repository.js';
import { visibleHome } from '../homes/service.js';
import { partiesByReference } from '../related-parties/repository.js';
import { ActualsChecker, type CheckedMonth, type RawRow } from './importer.js';
import {
  batchMonths,
  beginImport,
  finishImport,
  type LineColumns,
  nominalCodeMapping,
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
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  homeId: string,
  idempotencyKey: string,
  input: ActualsInput,
  signal?: AbortSignal,
): Promise<ImportSummary> {
  const home = await visibleHome(database, principal, homeId);
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
    const imports = await beginImport(database.db, {
      batchId,
      home,
      months: months.map((month) => month.month),
      source: input.kind,
      importedBy: principal.actor,
    });
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
      stop(
        new ProblemError(
          problem(413, `A CSV import may be at most ${MAX_CSV_BYTES / 1024 / 1024} MiB`, {
            type: '/problems/payload-too-large',
            title: 'Payload too large',
          }),
        ),
      );
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
  return reason instanceof WorkTimeoutError || !(error instanceof ProblemError) ? reason : error;
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
