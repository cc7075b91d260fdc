import ExcelJS from 'exceljs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { exampleModel } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';
import { wirralProvider } from '../helpers/provider.js';
import { XLSX } from '../helpers/xlsx.js';

// The finance team's round trip (docs/workbooks.md): a draft as a workbook, changed in a spreadsheet
// and sent back with PUT and If-Match; the blank template filled in and sent as a new draft; and the
// problems of a filled workbook named by cell and JSON pointer, with nothing stored.

type Json = Record<string, unknown>;

async function load(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

async function bytesOf(workbook: ExcelJS.Workbook): Promise<Buffer> {
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The value cell of a Model field, by its JSON pointer in column A. */
function modelCell(workbook: ExcelJS.Workbook, pointer: string): ExcelJS.Cell {
  const sheet = workbook.getWorksheet('Model')!;
  for (let row = 2; row <= sheet.rowCount; row += 1) {
    if (sheet.getCell(row, 1).value === pointer) return sheet.getCell(row, 3);
  }
  throw new Error(`no row ${pointer}`);
}

/** The column of a header on row 1. */
function columnOf(sheet: ExcelJS.Worksheet, header: string): number {
  for (let col = 1; col <= sheet.columnCount; col += 1)
    if (sheet.getCell(1, col).value === header) return col;
  throw new Error(`no column ${header}`);
}

/** Fills the blank template with a model, cell by cell, as a person would type it. */
function fill(workbook: ExcelJS.Workbook, model: Json): void {
  const at = (pointer: string) =>
    pointer
      .slice(1)
      .split('/')
      .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], model);
  const sheet = workbook.getWorksheet('Model')!;
  for (let row = 2; row <= sheet.rowCount; row += 1) {
    const pointer = sheet.getCell(row, 1).value;
    if (typeof pointer !== 'string' || !pointer.startsWith('/')) continue;
    const value = pointer === '/relatedParties' ? undefined : at(pointer);
    if (value === undefined) continue;
    const numeric =
      typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) && !pointer.startsWith('/period');
    sheet.getCell(row, 3).value =
      pointer.startsWith('/period/') && pointer !== '/period/label'
        ? new Date(`${String(value)}T00:00:00Z`)
        : numeric
          ? Number(value)
          : (value as string | number);
  }
  const lists: [string, Json[]][] = [
    ['Staffing', model.staffing as Json[]],
    ['Property', model.property as Json[]],
    ['Running', model.running as Json[]],
    ['Enhancements', (model.enhancements as Json[] | undefined) ?? []],
  ];
  for (const [name, items] of lists) {
    const list = workbook.getWorksheet(name)!;
    items.forEach((item, i) => {
      for (const [field, value] of Object.entries(item)) {
        const numeric = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) && field !== 'id';
        list.getCell(i + 2, columnOf(list, field)).value = numeric ? Number(value) : (value as string);
      }
    });
  }
}

describe.each(engines)('cost model workbooks on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);
  const ok = (options: InjectOptions, status: number) => injectOk(testApp.app, options, status);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
  });
  afterAll(() => testApp.close());

  /** An organisation of its own with a home and a draft of the Wirral example. */
  async function draft(name: string) {
    const { finance, homeId, draft: created } = await wirralProvider(testApp.app, name);
    return { finance, homeId, created };
  }

  const put = (id: string, finance: Record<string, string>, body: Buffer, version?: number) =>
    inject({
      method: 'PUT',
      url: `/v1/cost-models/${id}`,
      headers: {
        ...finance,
        'content-type': XLSX,
        ...(version === undefined ? {} : { 'if-match': `"${version}"` }),
      },
      payload: body,
    });

  it('JSON → XLSX → JSON gives every field back, and a change made in the workbook is the draft’s next version', async () => {
    const { finance, created } = await draft('Round Trip Homes CIC');
    const xlsx = await ok(
      { method: 'GET', url: `/v1/cost-models/${created.id}`, headers: { ...finance, accept: XLSX } },
      200,
    );
    expect(xlsx.headers['content-type']).toBe(XLSX);
    expect(xlsx.headers.etag).toBe('"1"');
    const unchanged = await put(created.id, finance, xlsx.rawPayload, 1);
    expect(unchanged.statusCode).toBe(200);
    expect(unchanged.json().version).toBe(2);
    expect(unchanged.json().document).toEqual(created.document);

    const workbook = await load(xlsx.rawPayload);
    const lease = workbook.getWorksheet('Property')!;
    lease.getCell(2, columnOf(lease, 'amount')).value = 2650;
    modelCell(workbook, '/home/plannedOccupancy').value = 0.85;
    const changed = await put(created.id, finance, await bytesOf(workbook), 2);
    expect(changed.statusCode).toBe(200);
    const document = changed.json().document as Json;
    expect((document.property as Json[])[0]!.amount).toBe('2650');
    expect((document.home as Json).plannedOccupancy).toBe('0.85');
    // everything else is as it was
    const { property: _p, home: _h, ...rest } = document;
    const { property: _p0, home: _h0, ...restBefore } = created.document;
    expect(rest).toEqual(restBefore);

    // If-Match is still required, and a stale one refused
    expect((await put(created.id, finance, await bytesOf(workbook))).statusCode).toBe(428);
    expect((await put(created.id, finance, await bytesOf(workbook), 1)).statusCode).toBe(412);
  });

  it('the blank template, filled in, starts a draft', async () => {
    const organisationId = await createOrganisation(testApp.app, 'Template Homes CIC');
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    const homeId = await createHome(testApp.app, finance, 'Template House');
    const template = await ok({ method: 'GET', url: '/v1/cost-models/template.xlsx', headers: finance }, 200);
    expect(template.headers['content-type']).toBe(XLSX);
    const workbook = await load(template.rawPayload);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      'About',
      'Model',
      'Staffing',
      'Property',
      'Running',
      'Central charges',
      'Related parties',
      'Enhancements',
    ]);
    const model = exampleModel('wirral-four-bed-2026-27');
    fill(workbook, model);
    const created = await ok(
      {
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: { ...finance, 'content-type': XLSX },
        payload: await bytesOf(workbook),
      },
      201,
    );
    const fromJson = await ok({ method: 'POST', url: '/v1/quotes', headers: finance, payload: model }, 200);
    const quoted = await ok(
      { method: 'GET', url: `/v1/cost-models/${created.json().id}/quote`, headers: finance },
      200,
    );
    expect(quoted.json().weeklyFeePerChild).toBe(fromJson.json().weeklyFeePerChild);
  });

  it('names each problem by cell and JSON pointer, all at once, and stores nothing', async () => {
    const { finance, created } = await draft('Problem Homes CIC');
    const xlsx = await ok(
      { method: 'GET', url: `/v1/cost-models/${created.id}?format=xlsx`, headers: finance },
      200,
    );

    // a wrong code and a number with too many decimals: every issue at once
    const workbook = await load(xlsx.rawPayload);
    workbook.getWorksheet('Property')!.getCell('A2').value = 'PROPERTY_LEAS';
    const staffing = workbook.getWorksheet('Staffing')!;
    staffing.getCell(2, columnOf(staffing, 'annualSalaryFte')).value = 48000.125;
    const refused = await put(created.id, finance, await bytesOf(workbook), 1);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([
      expect.objectContaining({ pointer: '/staffing/0/annualSalaryFte', cell: 'Staffing!F2' }),
      expect.objectContaining({ pointer: '/property/0/code', cell: 'Property!A2', in: 'body' }),
    ]);
    expect(refused.json().errors[0].message).toMatch(/48000\.125 has 3 decimal places; money has at most 2/);
    staffing.getCell(2, columnOf(staffing, 'annualSalaryFte')).value = 48000;
    const code = await put(created.id, finance, await bytesOf(workbook), 1);
    expect(code.statusCode).toBe(422);
    expect(code.json().errors).toEqual([
      expect.objectContaining({ pointer: '/property/0/code', cell: 'Property!A2', in: 'body' }),
    ]);

    // a missing column
    const noColumn = await load(xlsx.rawPayload);
    noColumn.getWorksheet('Running')!.spliceColumns(4, 1);
    const missing = await put(created.id, finance, await bytesOf(noColumn), 1);
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors).toEqual([
      expect.objectContaining({ pointer: '/running', cell: 'Running!1:1' }),
    ]);
    expect(missing.json().errors[0].message).toMatch(/the column frequency is missing/);

    // a renamed sheet
    const renamed = await load(xlsx.rawPayload);
    renamed.getWorksheet('Staffing')!.name = 'Staff';
    const noSheet = await put(created.id, finance, await bytesOf(renamed), 1);
    expect(noSheet.statusCode).toBe(422);
    expect(noSheet.json().errors).toEqual([
      expect.objectContaining({ pointer: '/staffing', cell: 'Staffing!A1' }),
    ]);
    expect(noSheet.json().errors[0].message).toMatch(/no sheet named "Staffing".*"Staff"/);

    // not a workbook at all
    const notXlsx = await put(created.id, finance, Buffer.from('not a workbook'), 1);
    expect(notXlsx.statusCode).toBe(422);

    // nothing was stored
    const after = await ok({ method: 'GET', url: `/v1/cost-models/${created.id}`, headers: adminAuth }, 200);
    expect(after.json().version).toBe(1);
    expect(after.json().document).toEqual(created.document);
  });

  it('refuses unread a workbook that would unpack beyond its bound, and reads only the rows that hold something', async () => {
    const { finance, created } = await draft('Hostile Homes CIC');
    const bomb = new ExcelJS.Workbook();
    const sheet = bomb.addWorksheet('Model');
    for (let row = 1; row <= 9_000; row += 1) sheet.getCell(row, 1).value = `${row} ${'x'.repeat(1_000)}`;
    const refused = await put(created.id, finance, await bytesOf(bomb), 1);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0].message).toMatch(/unpacks to \d+ bytes; at most 8388608 are read/);

    // one value far down a sheet: only the rows that exist are read
    const xlsx = await ok(
      { method: 'GET', url: `/v1/cost-models/${created.id}?format=xlsx`, headers: finance },
      200,
    );
    const far = await load(xlsx.rawPayload);
    far.getWorksheet('Running')!.getCell(1_000_000, 2).value = 'A line a million rows down';
    const started = performance.now();
    const answer = await put(created.id, finance, await bytesOf(far), 1);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(answer.statusCode).toBe(422);
    expect(answer.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cell: 'Running!A1000000', pointer: '/running/9/code' }),
      ]),
    );
  });
});
