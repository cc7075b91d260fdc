import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatGbp } from '../../src/domain/money.js';
import { canonicalJson, signatureValid } from '../../src/domain/proofs.js';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { parseValidAtom } from '../helpers/atom.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

const WIRRAL = 'E08000015';
const SEFTON = 'E08000014';
const KNOWSLEY = 'E08000011';
const LIVERPOOL = 'E08000012';

const wirral2026 = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
/** The next year: a 2027-28 period and care workers paid £30,500 instead of £29,500. */
const wirral2027 = {
  ...wirral2026,
  period: { label: '2027-28', start: '2027-04-01', end: '2028-03-31' },
  staffing: wirral2026.staffing.map((line: { id: string }) =>
    line.id === 'rcw' ? { ...line, annualSalaryFte: '30500' } : line,
  ),
};

const d2n2 = {
  framework: 'D2N2 Children’s Residential Framework',
  terms: [{ index: 'CPI', weight: '1' }],
  lowerOf: [{ terms: [{ index: 'FIXED', weight: '1', rate: '0.015' }] }],
  reviewWhen: { index: 'CPI', above: '0.03' },
  noticeDays: 28,
  anniversary: '04-01',
};
const cardiff = {
  framework: 'Cardiff',
  terms: [
    { index: 'CPI', weight: '0.4' },
    { index: 'RLW', weight: '0.6' },
  ],
  noticeDays: 7,
  anniversary: '04-01',
};

describe.each(engines)('uplift notices on %s', (engine) => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let wirralCommissioner: Record<string, string>;
  let seftonCommissioner: Record<string, string>;
  let homeId: string;
  let published: { id: string; weeklyFeePerChild: string };
  const inject = (options: InjectOptions) => testApp.app.inject(options);
  const json = async (options: InjectOptions, status: number) => {
    const response = await inject(options);
    expect(response.statusCode, response.body).toBe(status);
    return response.json();
  };

  async function publish(model: Record<string, unknown>, effectiveFrom: string, key: string) {
    const draft = await json(
      { method: 'POST', url: `/v1/homes/${homeId}/cost-models`, headers: finance, payload: model },
      201,
    );
    return json(
      {
        method: 'POST',
        url: `/v1/cost-models/${draft.id}/publish`,
        headers: { ...finance, 'idempotency-key': `uplift-${engine}-${key}` },
        payload: { effectiveFrom },
      },
      201,
    );
  }

  beforeAll(async () => {
    // notices are issued on 20 March 2027, twelve days before the new fee takes effect
    testApp = await createTestApp(engine, { today: '2027-03-20' });
    const organisationId = await createOrganisation(testApp.app, 'Wirral Uplift Homes CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    wirralCommissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: [WIRRAL] })).key,
    );
    seftonCommissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: [SEFTON] })).key,
    );
    homeId = await createHome(testApp.app, finance, 'Birkenhead Road');
    await publish(wirral2026, '2026-04-01', 'first');
    for (const [councilCode, reference, start, end] of [
      [WIRRAL, 'WIR-2026-0101', '2026-06-01', null],
      [SEFTON, 'SEF-2026-0042', '2026-09-01', null],
      [KNOWSLEY, 'KNO-2026-0007', '2026-05-01', '2027-01-31'], // ended: the new fee never reaches it
      [LIVERPOOL, 'LIV-2026-0311', '2027-02-01', null], // no formula recorded
    ] as const) {
      await json(
        {
          method: 'POST',
          url: '/v1/placements',
          headers: finance,
          payload: { homeId, councilCode, reference, start, end },
        },
        201,
      );
    }
    for (const [series, date, value] of [
      ['CPI', '2027-02-28', '0.021'],
      ['RLW', '2025-11-01', '12.40'],
      ['RLW', '2026-11-01', '13.30'],
    ]) {
      await json(
        {
          method: 'POST',
          url: `/v1/indices/${series}`,
          headers: adminAuth,
          payload: { date, value, source: `${series} test figure`, sourceUrl: 'https://www.ons.gov.uk/' },
        },
        201,
      );
    }
    await json(
      {
        method: 'PUT',
        url: `/v1/councils/${WIRRAL}/uplift-formula`,
        headers: wirralCommissioner,
        payload: { formula: d2n2, expectedVersion: 0 },
      },
      200,
    );
    await json(
      {
        method: 'PUT',
        url: `/v1/councils/${SEFTON}/uplift-formula`,
        headers: adminAuth,
        payload: { formula: cardiff },
      },
      200,
    );
    published = await publish(wirral2027, '2027-04-01', 'second');
  });

  afterAll(async () => {
    await testApp?.close();
  });

  async function noticeOf(councilCode: string) {
    const list = await json(
      { url: `/v1/uplift-notices?councilCode=${councilCode}`, headers: adminAuth },
      200,
    );
    expect(list.items).toHaveLength(1);
    return json({ url: `/v1/uplift-notices/${list.items[0].id}`, headers: adminAuth }, 200);
  }

  it('publishing the new Wirral schedule gives one signed notice per council placing there, none to a council whose placement ended', async () => {
    const all = await json({ url: `/v1/uplift-notices?homeId=${homeId}`, headers: adminAuth }, 200);
    expect(all.items.map((item: { councilCode: string }) => item.councilCode).sort()).toEqual([
      LIVERPOOL,
      SEFTON,
      WIRRAL,
    ]);
    for (const item of all.items) {
      expect(item).toMatchObject({ scheduleId: published.id, issuedOn: '2027-03-20', acknowledged: null });
    }
    const served = await noticeOf(WIRRAL);
    const keys = (await json({ url: '/.well-known/fee-schedule-keys.json' }, 200)).keys;
    const key = keys.find((entry: { keyId: string }) => entry.keyId === served.keyId);
    const hash = createHash('sha256').update(canonicalJson(served.notice)).digest('hex');
    expect(served.hash).toBe(hash);
    expect(signatureValid(hash, served.signature, key.publicKey)).toBe(true);
    // one hex digit changed (never to itself: a hash starting with 0 made this test pass by chance)
    const tampered = `${hash[0] === '0' ? '1' : '0'}${hash.slice(1)}`;
    expect(signatureValid(tampered, served.signature, key.publicKey)).toBe(false);
  });

  it('Wirral (D2N2): framework 1.5% against the cost-plus change by cause, the rise applying after 28 days’ notice', async () => {
    const { notice } = await noticeOf(WIRRAL);
    expect(notice.comparison).toMatchObject({
      oldFee: '5495.78',
      frameworkFee: '5578.22',
      newFee: published.weeklyFeePerChild,
    });
    expect(notice.framework.uplifts).toHaveLength(1);
    expect(notice.framework.uplifts[0]).toMatchObject({ on: '2027-04-01', rate: '0.0150', lowestOf: 0 });
    expect(notice.framework.uplifts[0].terms[0].figures[0]).toMatchObject({
      series: 'CPI',
      date: '2027-02-28',
      value: '0.021',
    });
    const pennies = (money: string) => Math.round(Number(money) * 100);
    const causes = notice.causes.reduce(
      (sum: number, cause: { effectOnWeeklyFee: string }) => sum + pennies(cause.effectOnWeeklyFee),
      0,
    );
    expect(causes).toBe(pennies(notice.comparison.costPlusChange));
    expect(notice.causes.some((cause: { section: string }) => cause.section === 'staffing')).toBe(true);
    expect(pennies(notice.comparison.newFeeLessFrameworkFee)).toBe(
      pennies(published.weeklyFeePerChild) - pennies('5578.22'),
    );
    // issued 20 March, 28 days' notice: 17 April, after the fee's own 1 April
    expect(notice).toMatchObject({ issuedOn: '2027-03-20', appliesFrom: '2027-04-17', noticeDays: 28 });
    expect(notice.placements).toEqual([expect.objectContaining({ reference: 'WIR-2026-0101' })]);
  });

  it('Sefton (Cardiff weights): 40% CPI 2.1% and 60% RLW 7.26% → 5.19%, seven days’ notice already given', async () => {
    const { notice } = await noticeOf(SEFTON);
    expect(notice.framework.uplifts[0]).toMatchObject({ percentage: '5.19' });
    expect(notice.comparison.frameworkFee).toBe('5781.01'); // 5495.78 × 1.0519 = 5781.011…
    expect(notice.appliesFrom).toBe('2027-04-01');
    expect(notice.placements.map((p: { reference: string }) => p.reference)).toEqual(['SEF-2026-0042']);
  });

  it('statements agree with the notices: Wirral pays the old fee until 17 April, Sefton the new one from 1 April', async () => {
    const linesOf = async (council: string, headers: Record<string, string>) => {
      const statement = await json(
        { url: `/v1/councils/${council}/statements?from=2027-04-01&to=2027-04-30`, headers },
        200,
      );
      return statement.placements[0].lines.map(
        (line: { from: string; to: string; weeklyRate: string; heldOver: boolean }) => [
          line.from,
          line.to,
          line.weeklyRate,
          line.heldOver,
        ],
      );
    };
    expect(await linesOf(WIRRAL, wirralCommissioner)).toEqual([
      ['2027-04-01', '2027-04-16', '5495.78', true], // the 2026-27 fee, held over past its period
      ['2027-04-17', '2027-04-30', published.weeklyFeePerChild, false],
    ]);
    expect(await linesOf(SEFTON, seftonCommissioner)).toEqual([
      ['2027-04-01', '2027-04-30', published.weeklyFeePerChild, false],
    ]);
  });

  it('a council with no formula recorded: notice of the new fee, no framework figure, applying at once', async () => {
    const { notice } = await noticeOf(LIVERPOOL);
    expect(notice).toMatchObject({ framework: null, noticeDays: null, appliesFrom: '2027-04-01' });
    expect(notice.comparison).toMatchObject({
      oldFee: '5495.78',
      frameworkFee: null,
      newFeeLessFrameworkFee: null,
    });
  });

  it('a Sefton commissioner never sees a Wirral notice; a Wirral one sees only its own', async () => {
    const wirralNotice = (
      await json({ url: `/v1/uplift-notices?councilCode=${WIRRAL}`, headers: adminAuth }, 200)
    ).items[0];
    const seftonList = await json({ url: '/v1/uplift-notices', headers: seftonCommissioner }, 200);
    expect(seftonList.items.map((item: { councilCode: string }) => item.councilCode)).toEqual([SEFTON]);
    const asked = await json(
      { url: `/v1/uplift-notices?councilCode=${WIRRAL}`, headers: seftonCommissioner },
      200,
    );
    expect(asked.items).toEqual([]);
    await json({ url: `/v1/uplift-notices/${wirralNotice.id}`, headers: seftonCommissioner }, 404);
    await json(
      {
        method: 'POST',
        url: `/v1/uplift-notices/${wirralNotice.id}/acknowledgement`,
        headers: seftonCommissioner,
        payload: {},
      },
      404,
    );
    await json(
      { url: `/v1/uplift-notices/${wirralNotice.id}?format=html`, headers: seftonCommissioner },
      404,
    );
    const wirralList = await json({ url: '/v1/uplift-notices', headers: wirralCommissioner }, 200);
    expect(wirralList.items.map((item: { councilCode: string }) => item.councilCode)).toEqual([WIRRAL]);
  });

  it('the commissioner acknowledges (who, when); the provider sees which are outstanding', async () => {
    const sefton = (await json({ url: `/v1/uplift-notices?councilCode=${SEFTON}`, headers: adminAuth }, 200))
      .items[0];
    const before = await json({ url: '/v1/uplift-notices?status=outstanding', headers: finance }, 200);
    expect(before.items.map((item: { id: string }) => item.id)).toContain(sefton.id);
    await json(
      {
        method: 'POST',
        url: `/v1/uplift-notices/${sefton.id}/acknowledgement`,
        headers: finance,
        payload: {},
      },
      403,
    );
    const ack = await json(
      {
        method: 'POST',
        url: `/v1/uplift-notices/${sefton.id}/acknowledgement`,
        headers: seftonCommissioner,
        payload: { note: 'Received by commissioning' },
      },
      201,
    );
    expect(ack).toMatchObject({ note: 'Received by commissioning' });
    expect(ack.by).toMatch(/^cpk_/);
    const again = await json(
      {
        method: 'POST',
        url: `/v1/uplift-notices/${sefton.id}/acknowledgement`,
        headers: seftonCommissioner,
        payload: {},
      },
      200,
    );
    expect(again).toEqual(ack);
    const after = await json({ url: '/v1/uplift-notices?status=outstanding', headers: finance }, 200);
    expect(after.items.map((item: { id: string }) => item.id)).not.toContain(sefton.id);
    const acknowledged = await json({ url: '/v1/uplift-notices?status=acknowledged', headers: finance }, 200);
    expect(acknowledged.items).toEqual([expect.objectContaining({ id: sefton.id, acknowledged: ack })]);
    const audit = await json(
      { url: `/v1/audit-events?resourceType=uplift_notice&resourceId=${sefton.id}`, headers: adminAuth },
      200,
    );
    expect(audit.items.map((event: { action: string }) => event.action)).toEqual(['acknowledge']);
  });

  it('serves the notice as CSV and as a printable page', async () => {
    const list = await json(
      { url: `/v1/uplift-notices?councilCode=${WIRRAL}`, headers: wirralCommissioner },
      200,
    );
    const csv = await inject({
      url: `/v1/uplift-notices/${list.items[0].id}`,
      headers: { ...wirralCommissioner, accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('section,item,detail,value,source');
    expect(lines).toContain('comparison,framework fee,D2N2 Children’s Residential Framework,5578.22,');
    const page = await inject({
      url: `/v1/uplift-notices/${list.items[0].id}?format=html`,
      headers: wirralCommissioner,
    });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('£5,578.22');
    expect(page.body).toContain('17 April 2027');
    expect(page.body).toContain('WIR-2026-0101');
  });

  it("the council's own Atom feed carries its notice; the public feed and another council's key never do", async () => {
    const notice = (await json({ url: `/v1/uplift-notices?councilCode=${WIRRAL}`, headers: adminAuth }, 200))
      .items[0];
    const own = await inject({ url: `/v1/councils/${WIRRAL}/feed`, headers: wirralCommissioner });
    expect(own.statusCode).toBe(200);
    const feed = parseValidAtom(own.body);
    const entry = feed.entries?.find((e) => e.id === `urn:uuid:${notice.id}`);
    expect(entry).toBeDefined();
    expect(own.body).toContain(
      `Uplift notice: Birkenhead Road, £5,495.78 → ${formatGbp(published.weeklyFeePerChild)} a week from 17 April 2027`,
    );
    expect(own.body).toContain('D2N2 Children’s Residential Framework would allow £5,578.22 a week');
    for (const headers of [{}, seftonCommissioner]) {
      const other = await inject({ url: `/v1/councils/${WIRRAL}/feed`, headers });
      expect(other.statusCode).toBe(200);
      parseValidAtom(other.body);
      expect(other.body).not.toContain(notice.id);
      expect(other.body).not.toContain('Uplift notice');
    }
  });

  it('formulas: scoped to the council, versioned, audited, and bad ones refused with pointers', async () => {
    await json({ url: `/v1/councils/${WIRRAL}/uplift-formula`, headers: seftonCommissioner }, 404);
    await json(
      {
        method: 'PUT',
        url: `/v1/councils/${WIRRAL}/uplift-formula`,
        headers: seftonCommissioner,
        payload: { formula: d2n2 },
      },
      404,
    );
    await json(
      {
        method: 'PUT',
        url: `/v1/councils/${WIRRAL}/uplift-formula`,
        headers: finance,
        payload: { formula: d2n2 },
      },
      403,
    );
    const bad = await json(
      {
        method: 'PUT',
        url: `/v1/councils/${WIRRAL}/uplift-formula`,
        headers: wirralCommissioner,
        payload: {
          formula: {
            ...d2n2,
            terms: [{ index: 'FIXED', weight: 1 }],
            floor: '0.05',
            cap: '0.01',
            anniversary: '02-30',
          },
        },
      },
      422,
    );
    const pointers = bad.errors.map((error: { pointer: string }) => error.pointer).sort();
    expect(pointers).toEqual(expect.arrayContaining(['/formula/anniversary', '/formula/terms/0/weight']));
    const stale = await json(
      {
        method: 'PUT',
        url: `/v1/councils/${WIRRAL}/uplift-formula`,
        headers: wirralCommissioner,
        payload: { formula: d2n2, expectedVersion: 0 },
      },
      409,
    );
    expect(stale.status).toBe(409);
    const read = await json({ url: `/v1/councils/${WIRRAL}/uplift-formula`, headers: finance }, 200);
    expect(read.current.version).toBe(1);
    const uplift = await json(
      { url: `/v1/councils/${WIRRAL}/uplift?on=2027-04-01`, headers: wirralCommissioner },
      200,
    );
    expect(uplift.uplift.percentage).toBe('1.50');
  });

  it('index figures: the NLW history is public; a figure is never changed', async () => {
    const nlw = await json({ url: '/v1/indices?series=NLW' }, 200);
    expect(nlw.items.at(-1)).toMatchObject({ date: '2026-04-01', value: '12.71', statutory: true });
    const same = {
      date: '2027-02-28',
      value: '0.021',
      source: 'CPI test figure',
      sourceUrl: 'https://www.ons.gov.uk/',
    };
    await json({ method: 'POST', url: '/v1/indices/CPI', headers: adminAuth, payload: same }, 200);
    await json(
      { method: 'POST', url: '/v1/indices/CPI', headers: adminAuth, payload: { ...same, value: '0.022' } },
      409,
    );
    await json({ method: 'POST', url: '/v1/indices/NLW', headers: adminAuth, payload: same }, 400);
    await json({ method: 'POST', url: '/v1/indices/CPI', headers: finance, payload: same }, 403);
    const bad = await json(
      { method: 'POST', url: '/v1/indices/RLW', headers: adminAuth, payload: { ...same, value: '13.5' } },
      422,
    );
    expect(bad.errors[0].pointer).toBe('/value');
  });
});
