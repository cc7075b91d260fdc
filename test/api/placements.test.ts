import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import { adminAuth, createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

// A Wirral child placed for three weeks of June with 1:1 support in school hours.
const wirralPlacement = (homeId: string) => ({
  homeId,
  councilCode: 'E08000015',
  reference: 'WIR-2026-0042',
  start: '2026-06-01',
  end: '2026-06-20',
  enhancements: [
    { description: '1:1 in school hours', roleId: 'rcw', hoursPerWeek: '25', start: '2026-06-03' },
  ],
});

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const sum = (values: string[]) => values.reduce((total, value) => total.plus(value), new Dec(0)).toFixed(2);

describe.each(engines)('placements and statements on %s', (engine) => {
  /** Setup, not the test: a request that must succeed. */
  const ok = injectOk;

  /**
   * A provider of its own with a finance key and two homes, Oxton House and Birkenhead Lodge; Oxton
   * House's fee is v1 from 1 April and v2 (a pay rise) from 15 June.
   */
  async function provider(app: FastifyInstance) {
    const organisationId = await createOrganisation(app, 'Merseyside Homes CIC');
    const finance = bearer((await createKey(app, { role: 'finance', organisationId })).key);
    const homeId = await createHome(app, finance, 'Oxton House');
    const otherHomeId = await createHome(app, finance, 'Birkenhead Lodge');
    const draft = (
      await ok(
        app,
        { method: 'POST', url: `/v1/homes/${homeId}/cost-models`, headers: finance, payload: wirral },
        201,
      )
    ).json();
    await ok(
      app,
      {
        method: 'POST',
        url: `/v1/cost-models/${draft.id}/publish`,
        headers: { ...finance, 'idempotency-key': 'placements-v1-key' },
        payload: { effectiveFrom: '2026-04-01' },
      },
      201,
    );
    const staffing = structuredClone(wirral.staffing);
    staffing[3].annualSalaryFte = '30500';
    await ok(
      app,
      {
        method: 'PATCH',
        url: `/v1/cost-models/${draft.id}`,
        headers: { ...finance, 'if-match': '"1"' },
        payload: { staffing },
      },
      200,
    );
    await ok(
      app,
      {
        method: 'POST',
        url: `/v1/cost-models/${draft.id}/publish`,
        headers: { ...finance, 'idempotency-key': 'placements-v2-key' },
        payload: { effectiveFrom: '2026-06-15' },
      },
      201,
    );
    return { organisationId, finance, homeId, otherHomeId };
  }
  type Provider = Awaited<ReturnType<typeof provider>>;

  /**
   * Two children at Oxton House from 1 June: Wirral's to 20 June with a 1:1 enhancement from 3 June,
   * Sefton's open-ended.
   */
  async function placeChildren(app: FastifyInstance, { finance, homeId }: Provider) {
    const wirralCreated = await ok(
      app,
      {
        method: 'POST',
        url: '/v1/placements',
        headers: finance,
        payload: wirralPlacement(homeId),
      },
      201,
    );
    const seftonPlacement = await ok(
      app,
      {
        method: 'POST',
        url: '/v1/placements',
        headers: finance,
        payload: { homeId, councilCode: 'E08000014', reference: 'SEF/7781', start: '2026-06-01' },
      },
      201,
    );
    return {
      wirralPlacementId: wirralCreated.json().id as string,
      seftonPlacementId: seftonPlacement.json().id as string,
    };
  }

  /** Sefton's placement ended on 25 June and moved to Birkenhead Lodge from 10 June. */
  async function endAndMove(app: FastifyInstance, books: Provider, seftonPlacementId: string) {
    await ok(
      app,
      {
        method: 'POST',
        url: `/v1/placements/${seftonPlacementId}/versions`,
        headers: books.finance,
        payload: { action: 'end', end: '2026-06-25' },
      },
      201,
    );
    await ok(
      app,
      {
        method: 'POST',
        url: `/v1/placements/${seftonPlacementId}/move`,
        headers: books.finance,
        payload: { homeId: books.otherHomeId, date: '2026-06-10' },
      },
      201,
    );
  }

  // Each test here records placements of its own provider.
  describe('recording and changing placements', () => {
    let testApp: TestApp;
    let wirralCommissioner: Record<string, string>;
    /** A provider for the tests that store nothing. */
    let shared: Provider;
    const inject = (options: InjectOptions) => testApp.app.inject(options);

    beforeAll(async () => {
      testApp = await createTestApp(engine);
      wirralCommissioner = bearer(
        (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] })).key,
      );
      shared = await provider(testApp.app);
    });
    afterAll(() => testApp.close());

    it("records a placement by the council's pseudonymous reference, with an enhancement", async () => {
      const { finance, homeId } = await provider(testApp.app);
      const response = await inject({
        method: 'POST',
        url: '/v1/placements',
        headers: finance,
        payload: wirralPlacement(homeId),
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({
        version: 1,
        history: [expect.objectContaining({ action: 'create' })],
      });
    });

    it.each([
      [{ reference: 'John Smith' }, '/reference'],
      [{ reference: 'smithj' }, '/reference'],
      [{ reference: 'WIR-01/02/2015' }, '/reference'],
      [{ reference: '485 777 3456' }, '/reference'],
      [{ reference: 'WIR-1', name: 'John' }, '/name'],
      [{ reference: 'WIR-1', dateOfBirth: '2014-02-01' }, '/dateOfBirth'],
    ])('refuses what could identify a child: %j', async (fields, pointer) => {
      const response = await inject({
        method: 'POST',
        url: '/v1/placements',
        headers: shared.finance,
        payload: { homeId: shared.homeId, councilCode: 'E08000015', start: '2026-06-01', ...fields },
      });
      expect(response.statusCode).toBe(422);
      expect(response.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    });

    it('records ends, corrections and moves as new versions, never overwriting', async () => {
      const books = await provider(testApp.app);
      const { finance, otherHomeId } = books;
      const { seftonPlacementId } = await placeChildren(testApp.app, books);
      const ended = await inject({
        method: 'POST',
        url: `/v1/placements/${seftonPlacementId}/versions`,
        headers: finance,
        payload: { action: 'end', end: '2026-06-25' },
      });
      expect(ended.statusCode).toBe(201);
      expect(ended.json()).toMatchObject({ version: 2, end: '2026-06-25' });
      expect(ended.json().history.map((v: { action: string }) => v.action)).toEqual(['create', 'end']);
      const moved = await inject({
        method: 'POST',
        url: `/v1/placements/${seftonPlacementId}/move`,
        headers: finance,
        payload: { homeId: otherHomeId, date: '2026-06-10' },
      });
      expect(moved.statusCode).toBe(201);
      expect(moved.json()).toMatchObject({
        movedFrom: seftonPlacementId,
        homeId: otherHomeId,
        start: '2026-06-10',
        end: '2026-06-25',
      });
      const before = (await inject({ url: `/v1/placements/${seftonPlacementId}`, headers: finance })).json();
      expect(before).toMatchObject({ end: '2026-06-09', version: 3 });
      const { db } = testApp.database.handle;
      await expect(db.updateTable('placement_versions').set({ end_date: null }).execute()).rejects.toThrow(
        /append-only/,
      );
      await expect(db.deleteFrom('placements').execute()).rejects.toThrow(/append-only/);
    });

    it('reports occupancy beside the planned occupancy', async () => {
      const books = await provider(testApp.app);
      const { finance, homeId } = books;
      const { seftonPlacementId } = await placeChildren(testApp.app, books);
      await endAndMove(testApp.app, books, seftonPlacementId);
      const response = await inject({
        url: `/v1/homes/${homeId}/occupancy?from=2026-06-01&to=2026-06-30`,
        headers: finance,
      });
      expect(response.statusCode).toBe(200);
      // Wirral placement 20 days + Sefton placement 1–9 June (moved on the 10th): 29 of 4 × 30 place-days
      expect(response.json()).toMatchObject({
        days: 30,
        placeDays: 120,
        occupiedDays: 29,
        occupancy: '0.241667',
        plannedOccupancy: '0.9',
      });
      expect(
        (
          await inject({
            url: `/v1/homes/${homeId}/occupancy?from=2026-06-01&to=2026-06-30`,
            headers: wirralCommissioner,
          })
        ).statusCode,
      ).toBe(403);
    });
  });

  // What a council, and the provider, see of the same placements: each council's statements span
  // every provider, so these tests read one provider's placements in a database of their own.
  describe('statements', () => {
    let testApp: TestApp;
    let finance: Record<string, string>;
    let wirralCommissioner: Record<string, string>;
    let seftonCommissioner: Record<string, string>;
    let wirralPlacementId: string;
    let seftonPlacementId: string;
    const inject = (options: InjectOptions) => testApp.app.inject(options);

    beforeAll(async () => {
      testApp = await createTestApp(engine);
      wirralCommissioner = bearer(
        (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] })).key,
      );
      seftonCommissioner = bearer(
        (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000014'] })).key,
      );
      const books = await provider(testApp.app);
      finance = books.finance;
      ({ wirralPlacementId, seftonPlacementId } = await placeChildren(testApp.app, books));
    });
    afterAll(() => testApp.close());

    it('charges each day at the fee in force, with the enhancement from its start, adding up to the penny', async () => {
      const response = await inject({
        url: '/v1/councils/E08000015/statements?from=2026-06-01&to=2026-06-30',
        headers: wirralCommissioner,
      });
      expect(response.statusCode).toBe(200);
      const statement = response.json();
      expect(statement.placements).toHaveLength(1);
      const placement = statement.placements[0];
      expect(placement).toMatchObject({
        reference: 'WIR-2026-0042',
        daysCharged: 20,
        homeName: 'Oxton House',
      });
      const fees = placement.lines.filter((l: { kind: string }) => l.kind === 'fee');
      expect(
        fees.map((l: { from: string; to: string; days: number; scheduleVersion: number }) => [
          l.from,
          l.to,
          l.days,
          l.scheduleVersion,
        ]),
      ).toEqual([
        ['2026-06-01', '2026-06-14', 14, 1],
        ['2026-06-15', '2026-06-20', 6, 2],
      ]);
      const enhancements = placement.lines.filter((l: { kind: string }) => l.kind === 'enhancement');
      expect(enhancements.map((l: { from: string; days: number }) => [l.from, l.days])).toEqual([
        ['2026-06-03', 12],
        ['2026-06-15', 6],
      ]);
      expect(enhancements[0].weeklyRate).toBe('617.80');
      expect(sum(placement.lines.map((l: { amount: string }) => l.amount))).toBe(placement.total);
      expect(sum([placement.feeTotal, placement.enhancementTotal])).toBe(placement.total);
      expect(statement.total).toBe(placement.total);
      expect(sum(statement.homes.map((h: { total: string }) => h.total))).toBe(statement.total);
      // the exact charge, rounded once: fee 14 days at v1 + 6 at v2, enhancement 18 days at 617.80
      const v1 = new Dec(statement.feeSchedules[0].weeklyFeePerChild);
      const v2 = new Dec(statement.feeSchedules[1].weeklyFeePerChild);
      const exact = v1
        .times(14)
        .plus(v2.times(6))
        .plus(new Dec('617.80').times(12))
        .plus(new Dec(enhancements[1].weeklyRate).times(6))
        .div(7);
      expect(placement.total).toBe(exact.toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2));
    });

    it('keeps each commissioner to its own councils: by id, in lists and in statements', async () => {
      expect(
        (await inject({ url: `/v1/placements/${wirralPlacementId}`, headers: seftonCommissioner }))
          .statusCode,
      ).toBe(404);
      expect(
        (await inject({ url: `/v1/placements/${wirralPlacementId}`, headers: wirralCommissioner }))
          .statusCode,
      ).toBe(200);
      const list = (await inject({ url: '/v1/placements', headers: seftonCommissioner })).json();
      expect(list.items.map((p: { id: string }) => p.id)).toEqual([seftonPlacementId]);
      const asked = (
        await inject({ url: '/v1/placements?councilCode=E08000015', headers: seftonCommissioner })
      ).json();
      expect(asked.items).toEqual([]);
      const statement = await inject({
        url: '/v1/councils/E08000015/statements?from=2026-06-01&to=2026-06-30',
        headers: seftonCommissioner,
      });
      expect(statement.statusCode).toBe(404);
      const csv = await inject({
        url: '/v1/councils/E08000015/statements?from=2026-06-01&to=2026-06-30',
        headers: { ...seftonCommissioner, accept: 'text/csv' },
      });
      expect(csv.statusCode).toBe(404);
      expect(csv.body).not.toContain('WIR-2026-0042');
      const own = (
        await inject({
          url: '/v1/councils/E08000014/statements?from=2026-06-01&to=2026-06-30',
          headers: seftonCommissioner,
        })
      ).json();
      expect(own.placements.map((p: { reference: string }) => p.reference)).toEqual(['SEF/7781']);
    });

    it('exports the statement as CSV and as an XLSX workbook whose totals add up', async () => {
      const url = '/v1/councils/E08000015/statements?from=2026-06-01&to=2026-06-30';
      const statement = (await inject({ url, headers: finance })).json();
      const csv = await inject({ url, headers: { ...finance, accept: 'text/csv' } });
      expect(csv.headers['content-disposition']).toBe(
        'attachment; filename="statement-E08000015-2026-06-01-2026-06-30.csv"',
      );
      const rows = csv.body.trimEnd().split('\r\n');
      expect(rows[0]).toBe(
        'council,home,placement_reference,placement_id,kind,description,from,to,days,held_over,fee_schedule_version,weekly_rate,amount',
      );
      expect(rows.at(-1)).toMatch(new RegExp(`,TOTAL,.*,${statement.total.replace('.', '\\.')}$`));

      const xlsx = await inject({ url, headers: { ...finance, accept: XLSX } });
      expect(xlsx.statusCode).toBe(200);
      expect(xlsx.headers['content-type']).toBe(XLSX);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
      expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Summary', 'Oxton House']);
      const summary = workbook.getWorksheet('Summary')!;
      const totalRow = summary.getRow(2 + statement.homes.length);
      expect(String(totalRow.getCell(1).value)).toMatch(/^Total for Wirral/);
      expect(totalRow.getCell(5).value).toBe(Number(statement.total));
      expect(totalRow.getCell(5).numFmt).toBe('"£"#,##0.00');
      const home = workbook.getWorksheet('Oxton House')!;
      const amounts: number[] = [];
      home.eachRow((row, index) => {
        if (index > 1 && !['Placement total', 'Home total'].includes(String(row.getCell(2).value))) {
          amounts.push(Math.round(Number(row.getCell(8).value) * 100));
        }
      });
      expect(amounts.reduce((a, b) => a + b, 0)).toBe(Math.round(Number(statement.homes[0].total) * 100));
    });

    it('answers 422 for a range that ends before it starts', async () => {
      const response = await inject({
        url: '/v1/councils/E08000015/statements?from=2026-06-30&to=2026-06-01',
        headers: adminAuth,
      });
      expect(response.statusCode).toBe(422);
    });
  });
});
