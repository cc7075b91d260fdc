import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readCostModelWorkbook } from '../formats/cost-model-reader.js';
import { XLSX } from './negotiate.js';

// A cost model sent as a workbook (docs/workbooks.md, "Round trip"): the XLSX body is kept as bytes
// by its content-type parser, then read into the cost model document before the route's validation,
// so the route and its service see the document a JSON body would give. Problems with the document
// then name the cell each field came from as well as its JSON pointer (src/http/errors.ts).

declare module 'fastify' {
  interface FastifyRequest {
    /** For a body sent as a workbook: the cell a JSON pointer of the document came from. */
    workbookCells?: (pointer: string) => string | undefined;
  }
}

/** Accepts XLSX bodies on the routes of `app` (the plugin's own), kept as bytes for `workbookBody`. */
export function acceptWorkbookBodies(app: FastifyInstance): void {
  app.addContentTypeParser(XLSX, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

/** A preValidation hook: a workbook body becomes the cost model document it holds. */
export async function workbookBody(request: FastifyRequest): Promise<void> {
  if (!Buffer.isBuffer(request.body)) return;
  const read = await readCostModelWorkbook(request.body);
  request.body = read.document;
  request.workbookCells = read.cellOf;
}
