import { readFileSync } from 'node:fs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec, formatGbp } from '../../src/domain/money.js';
import type { Breakdown } from '../../src/domain/pricing/index.js';
import { getProof } from '../../src/modules/fee-schedules/proofs.js';
import { escapeHtml } from '../../src/web/html.js';
import { transparencyRoutes } from '../../src/web/routes.js';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { registerModelParties, seedProvider } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
/** Method v2 §6: the Wirral home paying three related parties. */
const wirralRelated = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-related-parties-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);

/** Registers the pages unless the app already does (once the plugin is wired into buildApp). */
async function withTransparency(app: FastifyInstance) {
  if (app.hasRoute({ method: 'GET', url: '/transparency' })) return;
  await app.register(transparencyRoutes);
}

/** "£1,234.56" → "1234.56" */
const pounds = (text: string) => text.replace(/[£,]/g, '');

/**
 * Every data cell with content names its column in `data-label` (shown beside the value when the
 * table stacks on a phone): one of its table's column headers. Returns how many cells were checked.
 */
function expectLabelledCells(body: string): number {
  let checked = 0;
  for (const [table] of body.matchAll(/<table class="(?:stack|fit)">[\s\S]*?<\/table>/g)) {
    const headers = [...table.matchAll(/<th scope="col"[^>]*>([^<]*)<\/th>/g)].map((match) => match[1]);
    expect(headers.length).toBeGreaterThan(1);
    for (const [, attributes, content] of table.matchAll(/<td([^>]*)>([\s\S]*?)<\/td>/g)) {
      if (content === '') continue;
      const label = attributes?.match(/ data-label="([^"]*)"/)?.[1];
      expect(headers, `the label of "${content}"`).toContain(label);
      checked += 1;
    }
  }
  expect(body).not.toMatch(/<table>/);
  return checked;
}

describe.each(engines)('transparency pages on %s', (engine) => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let otherFinance: Record<string, string>;
  let homeId: string;
  let scriptHomeId: string;
  let emptyHomeId: string;
  let v1: { id: string; weeklyFeePerChild: string; breakdown: Breakdown };
  let v2: { id: string; weeklyFeePerChild: string; breakdown: Breakdown };

  const inject = (options: InjectOptions) => testApp.app.inject(options);
  const page = async (url: string, headers: Record<string, string> = {}) => {
    const response = await inject({ url, headers });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    return response.body;
  };

  const addHome = async (name: string) => {
    const response = await inject({
      method: 'POST',
      url: '/v1/homes',
      headers: finance,
      payload: { name, hostCouncil: 'E08000015', registeredPlaces: 4, openedOn: '2021-05-01' },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };

  const publish = async (draftId: string, key: string, effectiveFrom: string) => {
    const response = await inject({
      method: 'POST',
      url: `/v1/cost-models/${draftId}/publish`,
      headers: { ...finance, 'idempotency-key': key },
      payload: { effectiveFrom },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };

  beforeAll(async () => {
    testApp = await createTestApp(engine, { beforeReady: withTransparency });
    const organisationId = await createOrganisation(testApp.app, 'Wirral Homes CIC');
    const otherId = await createOrganisation(testApp.app, 'Other Homes CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    otherFinance = bearer((await createKey(testApp.app, { role: 'finance', organisationId: otherId })).key);
    homeId = await addHome('Oxton House');
    scriptHomeId = await addHome('<script>alert(1)</script>');
    emptyHomeId = await addHome('Birkenhead View');

    const draft = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: wirral,
    });
    expect(draft.statusCode, draft.body).toBe(201);
    const draftId = draft.json().id;
    v1 = await publish(draftId, 'web-publish-v1-0001', '2026-04-01');
    const changed = await inject({
      method: 'PATCH',
      url: `/v1/cost-models/${draftId}`,
      headers: { ...finance, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
      payload: JSON.stringify({ rates: { niSecondaryThresholdAnnual: '9100' } }),
    });
    expect(changed.statusCode, changed.body).toBe(200);
    v2 = await publish(draftId, 'web-publish-v2-0001', '2026-05-01');
    expect(v2.weeklyFeePerChild).not.toBe(v1.weeklyFeePerChild);

    const scriptDraft = await inject({
      method: 'POST',
      url: `/v1/homes/${scriptHomeId}/cost-models`,
      headers: finance,
      payload: wirral,
    });
    await publish(scriptDraft.json().id, 'web-publish-script-01', '2026-04-01');
  });
  afterAll(() => testApp.close());

  it('lists the homes with their current weekly fee, and those with none', async () => {
    const body = await page('/transparency');
    expect(body).toMatch(/^<!doctype html>\n<html lang="en-GB">/);
    expect(body).toContain('<meta name="viewport"');
    expect(body.match(/<h1[ >]/g)).toHaveLength(1);
    expect(body).toContain('Wirral Homes CIC');
    const row = body.split('<tr>').find((r) => r.includes(`/transparency/homes/${homeId}"`));
    expect(row).toBeDefined();
    expect(row).toContain(formatGbp(v2.weeklyFeePerChild));
    expect(row).toContain('4%');
    const empty = body.split('<tr>').find((r) => r.includes(`/transparency/homes/${emptyHomeId}"`));
    expect(empty).toContain('no published fee yet');
    expect(row).toContain(
      `<td class="num" data-label="Weekly fee per child">${formatGbp(v2.weeklyFeePerChild)}</td>`,
    );
    expect(expectLabelledCells(body)).toBeGreaterThan(0);
    expect(body).toContain('<table class="stack">');
    expect(body).toContain('href="/v1/fee-schedules?limit=200" type="application/json"');
  });

  it('names its icon inline, and answers /favicon.ico with an icon to anyone', async () => {
    for (const url of [
      '/transparency',
      `/transparency/homes/${homeId}`,
      `/transparency/fee-schedules/${v2.id}/changes`,
    ]) {
      const icon = (await page(url)).match(/<link rel="icon" type="image\/svg\+xml" href="([^"]+)">/)?.[1];
      expect(icon, url).toBeDefined();
      // a data URI: no request, allowed by the CSP's img-src
      const svg = decodeURIComponent(icon!.replace(/^data:image\/svg\+xml,/, ''));
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>[\s\S]*<\/svg>$/);
    }
    const csp = (await inject({ url: '/transparency' })).headers['content-security-policy'];
    expect(csp).toMatch(/img-src 'self' data:/);
    for (const headers of [{}, finance]) {
      const icon = await inject({ url: '/favicon.ico', headers });
      expect(icon.statusCode).toBe(200);
      expect(icon.headers['content-type']).toBe('image/x-icon');
      expect(icon.headers['cache-control']).toBe('public, max-age=86400');
      // an ICO directory of one 16 × 16 image, 32 bits a pixel
      expect([...icon.rawPayload.subarray(0, 8)]).toEqual([0, 0, 1, 0, 1, 0, 16, 16]);
      expect(icon.rawPayload.readUInt16LE(12)).toBe(32);
      expect(icon.rawPayload).toHaveLength(6 + 16 + 40 + 16 * 16 * 4 + 16 * 4);
    }
    expect((await inject({ method: 'HEAD', url: '/favicon.ico' })).statusCode).toBe(200);
    // hidden from the API's description
    const openapi = (await inject({ url: '/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).not.toContain('/favicon.ico');
  });

  it("shows a finance key only its own organisation's homes", async () => {
    const body = await page('/transparency', otherFinance);
    expect(body).toContain('Other Homes CIC');
    expect(body).not.toContain('Oxton House');
    expect((await inject({ url: `/transparency/homes/${homeId}`, headers: otherFinance })).statusCode).toBe(
      404,
    );
    expect((await inject({ url: `/transparency/homes/${homeId}`, headers: finance })).statusCode).toBe(200);
  });

  it('shows the current breakdown: the fee, the bar by category, every line and the context', async () => {
    const body = await page(`/transparency/homes/${homeId}`);
    const fee = `£${new Dec(v2.weeklyFeePerChild).toFixed(2)}`;
    const feeText = body.match(/<p class="fee">([^<]+)<\/p>/)?.[1];
    expect(feeText && pounds(feeText)).toBe(pounds(fee));
    expect(body.match(/<h1[ >]/g)).toHaveLength(1);
    expect(body).toContain('@media print');
    expect(body).not.toMatch(/<script/i);

    // one rect per category present, each with a title
    const categories = new Set(v2.breakdown.lines.map((line) => line.category));
    const svg = body.match(/<svg class="bar"[\s\S]*?<\/svg>/)?.[0] ?? '';
    const rects = svg.match(/<rect[\s\S]*?<\/rect>/g) ?? [];
    expect(rects).toHaveLength(categories.size);
    for (const rect of rects) expect(rect).toMatch(/<title>[^<]+<\/title>/);

    // the category table adds up to the fee (and to £100 per £100)
    const rows = [
      ...body.matchAll(
        /<tr data-category="(\w+)"><th scope="row">.*?<\/th><td class="num" data-label="£ per week">([^<]+)<\/td><td class="num" data-label="£ per £100 of fee">([^<]+)<\/td><\/tr>/g,
      ),
    ];
    expect(rows.map((r) => r[1]).sort()).toEqual([...categories].sort());
    const weekly = rows.reduce((sum, r) => sum.plus(pounds(r[2]!)), new Dec(0));
    expect(weekly.toFixed(2)).toBe(new Dec(v2.weeklyFeePerChild).toFixed(2));
    const per100 = rows.reduce((sum, r) => sum.plus(pounds(r[3]!)), new Dec(0));
    expect(per100.toFixed(2)).toBe('100.00');

    for (const line of v2.breakdown.lines) {
      expect(body).toContain(escapeHtml(line.description));
      expect(body).toContain(escapeHtml(line.basis));
    }
    expect(body).toContain('Planned occupancy: 90% of 4 registered places');
    expect(body).toContain('22.6%');
    expect(body).toContain(
      'Competition and Markets Authority, Children&#39;s social care market study final report, March 2022',
    );
    // the schedule shown, as files to download: links, not a sentence about Accept headers
    expect(body).toContain('<h2 id="downloads">Downloads</h2>');
    expect(body).toContain(
      `<a href="/v1/fee-schedules/${v2.id}?format=json" type="application/json">This fee schedule as JSON</a>`,
    );
    expect(body).toContain(
      `<a href="/v1/fee-schedules/${v2.id}?format=csv" type="text/csv">Its lines as CSV</a>`,
    );
    expect(body).toContain(`href="/v1/homes/${homeId}/fee-schedules"`);
    expect(body).toContain('<a href="#downloads">Download this fee schedule as JSON or CSV</a>');
    expect(body).not.toMatch(/Accept: text\/csv/i);
    const proof = await getProof(testApp.database.handle.db, v2.id);
    if (proof) {
      expect(body).toContain(`<code>${escapeHtml(proof.hash)}</code>`);
      expect(body).toContain(
        `<a href="/v1/fee-schedules/${v2.id}/proof" type="application/json">Its proof as JSON</a>`,
      );
    } else expect(body).toContain('is pending');
    expect(body).toContain('docs/verifying.md');
    // tables are accessible; the wide ones stack on a phone, each cell labelled with its column
    expect(body).toContain('<caption>');
    expect(body).toContain('<th scope="col"');
    expect(body).toContain(
      '<div class="table-wrap"><table class="stack">\n<caption>Every line of the fee, 2026-27</caption>',
    );
    expect(body).toContain(
      '<div class="table-wrap"><table class="fit">\n<caption>The weekly fee by category</caption>',
    );
    expect(body).toContain('td::before { content: attr(data-label)');
    expect(body).toMatch(/@media screen and \(max-width: [\d.]+em\)/);
    expect(expectLabelledCells(body)).toBeGreaterThan(5 * v2.breakdown.lines.length);
    // codes in cells are one word, never broken
    const staffPay = v2.breakdown.lines.find((line) => line.code === 'STAFF_PAY');
    expect(staffPay).toBeDefined();
    expect(body).toContain('<td class="code" data-label="Code"><code>STAFF_PAY</code></td>');
    expect(body).toContain(
      'td.code, td code { white-space: nowrap; overflow-wrap: normal; word-break: keep-all; }',
    );
  });

  it('lists the version history with links, and shows an earlier schedule with ?on=', async () => {
    const body = await page(`/transparency/homes/${homeId}`);
    expect(body).toContain(`href="/transparency/homes/${homeId}?on=2026-04-01"`);
    expect(body).toContain(`href="/transparency/homes/${homeId}?on=2026-05-01"`);
    expect(body).toContain(`href="/transparency/fee-schedules/${v2.id}/changes"`);
    expect(body).toContain(`href="/v1/fee-schedules/${v1.id}?format=json"`);
    expect(body).toContain(`href="/v1/fee-schedules/${v1.id}?format=csv"`);
    expect(body).toContain('superseded');

    const earlier = await page(`/transparency/homes/${homeId}?on=2026-04-15`);
    expect(pounds(earlier.match(/<p class="fee">([^<]+)<\/p>/)?.[1] ?? '')).toBe(
      new Dec(v1.weeklyFeePerChild).toFixed(2),
    );
    const before = await page(`/transparency/homes/${homeId}?on=2026-03-01`);
    expect(before).toContain('No fee in force');
    expect((await inject({ url: `/transparency/homes/${homeId}?on=tomorrow` })).statusCode).toBe(400);
  });

  it('explains the change: old and new fee, the difference, its causes and every line', async () => {
    const body = await page(`/transparency/fee-schedules/${v2.id}/changes`);
    const difference = new Dec(v2.weeklyFeePerChild).minus(v1.weeklyFeePerChild).toFixed(2);
    expect(body).toContain(`data-difference="${difference}"`);
    expect(body).toContain(formatGbp(v1.weeklyFeePerChild));
    expect(body).toContain(formatGbp(v2.weeklyFeePerChild));
    expect(body).toMatch(/£5,000\.00 → £9,100\.00/);
    for (const line of v2.breakdown.lines) expect(body).toContain(escapeHtml(line.description));
    expect(body.match(/<h1[ >]/g)).toHaveLength(1);

    // its data: the explanation as JSON, both schedules as JSON and CSV
    for (const href of [
      `/v1/fee-schedules/${v2.id}/changes?from=${v1.id}`,
      `/v1/fee-schedules/${v1.id}?format=json`,
      `/v1/fee-schedules/${v1.id}?format=csv`,
      `/v1/fee-schedules/${v2.id}?format=json`,
      `/v1/fee-schedules/${v2.id}?format=csv`,
    ])
      expect(body).toContain(`href="${href}"`);
    expect(body).toContain('>This explanation as JSON</a>');
    const json = await inject({ url: `/v1/fee-schedules/${v2.id}/changes?from=${v1.id}` });
    expect(json.statusCode).toBe(200);
    expect(json.json().difference).toBe(difference);
    expect(expectLabelledCells(body)).toBeGreaterThan(0);
    expect(body).toContain('<td class="code" data-label="Code"><code>STAFF_EMPLOYER_NI</code></td>');

    const explicit = await page(`/transparency/fee-schedules/${v2.id}/changes?from=${v1.id}`);
    expect(explicit).toContain(`data-difference="${difference}"`);
    expect((await inject({ url: `/transparency/fee-schedules/${v1.id}/changes` })).statusCode).toBe(404);
  });

  it('escapes text from the database', async () => {
    const index = await page('/transparency');
    expect(index).not.toContain('<script>alert(1)</script>');
    expect(index).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const home = await page(`/transparency/homes/${scriptHomeId}`);
    expect(home).not.toContain('<script>');
    expect(home).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
  });

  it('answers 404 for an unknown home and schedule', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await inject({ url: `/transparency/homes/${unknown}` })).statusCode).toBe(404);
    expect((await inject({ url: `/transparency/fee-schedules/${unknown}/changes` })).statusCode).toBe(404);
  });

  it('shows a frozen reconciliation in stacked tables, and says its data needs a key rather than linking to it', async () => {
    const { organisationId, finance: books } = await seedProvider(testApp.app, {
      name: 'Reconciled Homes CIC',
      homes: [
        {
          name: 'Wallasey House',
          placements: [
            { councilCode: 'E08000015', reference: 'WIR-901', start: '2026-04-01', end: '2026-04-30' },
          ],
          actuals: [{ month: '2026-04', nil: true }],
        },
      ],
    });
    const frozen = await inject({
      method: 'POST',
      url: '/v1/reconciliations',
      headers: books,
      payload: { organisationId, from: '2026-04-01', to: '2026-04-30' },
    });
    expect(frozen.statusCode, frozen.body).toBe(201);
    const { id, hash } = frozen.json();
    const body = await page(`/transparency/reconciliations/${id}`);
    expect(body).toContain(hash);
    expect(body).toContain(
      '<table class="fit">\n<caption>What was paid, what was spent, and the surplus against its cap</caption>',
    );
    expect(body).toContain(
      '<table class="stack">\n<caption>Each home (for information: the cap is tested on the whole provider)</caption>',
    );
    expect(body).toContain('<th scope="row">Wallasey House</th><td class="num" data-label="Income">');
    expect(expectLabelledCells(body)).toBeGreaterThan(10);
    expect(body).toMatch(/<link rel="icon" type="image\/svg\+xml" href="data:image\/svg\+xml,/);
    // the reconciliation's API needs a key: named with a note, not linked (a browser would send none)
    expect((await inject({ url: `/v1/reconciliations/${id}` })).statusCode).toBe(401);
    expect(body).not.toMatch(/href="\/v1\//);
    expect(body).toContain(`<code>/v1/reconciliations/${id}</code>`);
    expect(body).toContain(`<code>/v1/reconciliations/${id}/statements/{council code}</code>`);
    expect(body).toContain('<strong>Both need an API key</strong>');
    // what it does link to, anyone can fetch
    expect(body).toContain('href="/.well-known/fee-schedule-keys.json"');
    expect((await inject({ url: '/.well-known/fee-schedule-keys.json' })).statusCode).toBe(200);
  });

  describe('related parties (method v2 §6)', () => {
    let harbourId: string;
    let noneId: string;
    let plain: { id: string; breakdown: Breakdown };
    let related: { id: string; weeklyFeePerChild: string; breakdown: Breakdown };

    const draftAndPublish = async (home: string, model: object, key: string, effectiveFrom: string) => {
      const draft = await inject({
        method: 'POST',
        url: `/v1/homes/${home}/cost-models`,
        headers: finance,
        payload: model,
      });
      expect(draft.statusCode, draft.body).toBe(201);
      return publish(draft.json().id, key, effectiveFrom);
    };

    beforeAll(async () => {
      harbourId = await addHome('Harbour House');
      noneId = await addHome('Moreton Lodge');
      // the organisation's register holds the parties the model pays
      expect(await registerModelParties(testApp.app, finance, undefined, wirralRelated)).toHaveLength(3);
      plain = await draftAndPublish(harbourId, wirral, 'web-related-plain-01', '2026-04-01');
      related = await draftAndPublish(harbourId, wirralRelated, 'web-related-v2-0001', '2026-05-01');
      expect(related.breakdown.relatedParties).toHaveLength(3);
      await draftAndPublish(noneId, { ...wirral, relatedParties: [] }, 'web-related-none-01', '2026-04-01');
    });

    it('shows what the home pays each related party against its market amount, and the adjusted surplus rate', async () => {
      const body = await page(`/transparency/homes/${harbourId}?on=2026-06-01`);
      expect(body).toContain('<h2 id="related-parties">Paid to related parties</h2>');
      const table = body.match(
        /<table class="stack">\n<caption>Payments to related parties, 2026-27, against their market amounts<\/caption>[\s\S]*?<\/table>/,
      )?.[0];
      expect(table).toBeDefined();
      expect(table).toContain('<th scope="col">Party</th>');
      const rows = table!.match(/<tr data-related-party="[^"]+">[\s\S]*?<\/tr>/g) ?? [];
      expect(rows).toHaveLength(3);
      const lease = rows.find((row) => row.includes('data-related-party="jpl"'))!;
      expect(lease).toContain('<th scope="row">Harbour Properties Ltd<br>');
      expect(lease).toContain(
        'href="https://find-and-update.company-information.service.gov.uk/company/09876543">Companies House 09876543</a>',
      );
      expect(lease).toContain('Under common control with the provider');
      expect(lease).toContain('Lease from registered social landlord <code>PROPERTY_LEASE</code>');
      expect(lease).toContain(
        '<td class="num" data-label="Paid £ a year">£28,800.00</td><td class="num" data-label="Market £ a year">£28,200.00</td><td class="text" data-label="Evidence for the market amount">Independent rental valuation, March 2026</td><td class="num" data-label="Excess £ a year">£600.00</td>',
      );
      const fee = rows.find((row) => row.includes('data-related-party="grp"'))!;
      expect(fee).toContain('Parent of the provider');
      expect(fee).toContain("this home's share of a central overhead component");
      expect(fee).toContain(
        '<td class="num" data-label="Paid £ a year">£5,000.00</td><td class="num" data-label="Market £ a year">£4,500.00</td>',
      );
      const tutoring = rows.find((row) => row.includes('data-related-party="edu"'))!;
      // no Companies House number: no link
      expect(tutoring).not.toContain('Companies House');
      expect(tutoring).toContain('Director or trustee of the provider');
      expect(tutoring).toContain('<td class="num" data-label="Excess £ a year">£938.57</td>');
      expect(table).toContain(
        '<tfoot><tr><th scope="row">Total</th><td></td><td></td><td class="num" data-label="Paid £ a year">£45,062.86</td><td class="num" data-label="Market £ a year">£43,024.29</td><td></td><td class="num" data-label="Excess £ a year">£2,038.57</td></tr></tfoot>',
      );
      expect(expectLabelledCells(body)).toBeGreaterThan(0);
      expect(related.breakdown.relatedPartyExcessWeeklyPerChild).toBe('10.86');
      expect(related.breakdown.adjustedSurplusRate).toBe('0.032097');
      expect(body).toContain(
        'Surplus rate 3% of cost; counting £10.86 a week per child paid to related parties above market as surplus, the adjusted rate is 3.2097%, within the 5% cap.',
      );
      // the lines paid to a party say so in words, linking to the section
      expect(body).toContain(
        'Lease from registered social landlord<span class="muted note" data-related-party="jpl">Paid to a related party: Harbour Properties Ltd (<a href="#related-parties">see payments to related parties</a>)</span></th>',
      );
      expect(body).toContain(
        'Central overhead<span class="muted note" data-related-party="grp">Includes payments to a related party: Harbour Group Holdings',
      );
      expect(body.match(/<span class="muted note" data-related-party=/g)).toHaveLength(3);
      // the surplus table gives the adjusted rate beside the rate and the cap
      expect(body).toMatch(/the adjusted rate\)<\/th><td class="num" data-label="Rate">3\.2097%<\/td>/);
      expect(body.match(/<h1[ >]/g)).toHaveLength(1);
    });

    it('has no related-party section for a version 1 schedule', async () => {
      for (const url of [`/transparency/homes/${harbourId}?on=2026-04-15`, `/transparency/homes/${homeId}`]) {
        const body = await page(url);
        expect(body).toContain('Every line of the fee');
        expect(body).not.toContain('related part');
        expect(body).not.toContain('data-related-party');
        expect(body).not.toContain('adjusted rate');
      }
      expect(plain.breakdown.relatedParties).toBeUndefined();
    });

    it('says plainly when the provider declares no payments to related parties', async () => {
      const body = await page(`/transparency/homes/${noneId}?on=2026-06-01`);
      expect(body).toContain('<h2 id="related-parties">Paid to related parties</h2>');
      expect(body).toContain(
        'The provider, Wirral Homes CIC, declares no payments to related parties for this period (2026-27).',
      );
      expect(body).not.toContain('Payments to related parties, 2026-27');
    });

    it('adds a related_party column to the CSV of a schedule with related parties only', async () => {
      const csv = await inject({ url: `/v1/fee-schedules/${related.id}`, headers: { accept: 'text/csv' } });
      expect(csv.statusCode).toBe(200);
      const rows = csv.body.trimEnd().split('\r\n');
      expect(rows[0]).toBe(
        'code,category,description,annual_amount,weekly_per_child,share_of_fee,basis,related_party',
      );
      expect(rows).toHaveLength(related.breakdown.lines.length + 2);
      expect(rows.find((row) => row.startsWith('PROPERTY_LEASE,'))).toMatch(/,jpl$/);
      expect(rows.find((row) => row.startsWith('RUNNING_EDUCATION,running,Tutoring,'))).toMatch(/,edu$/);
      expect(rows.find((row) => row.startsWith('CENTRAL_OVERHEAD,'))).toMatch(/,grp$/);
      expect(rows.find((row) => row.startsWith('PROPERTY_UTILITIES,'))).toMatch(/,$/);
      expect(rows.at(-1)).toMatch(/^TOTAL,.*,,$/);

      const old = await inject({ url: `/v1/fee-schedules/${plain.id}`, headers: { accept: 'text/csv' } });
      const oldRows = old.body.trimEnd().split('\r\n');
      expect(oldRows[0]).toBe('code,category,description,annual_amount,weekly_per_child,share_of_fee,basis');
      expect(old.body).not.toContain('related_party');
    });

    it('explains a change of related parties beside the causes of the fee change', async () => {
      const body = await page(`/transparency/fee-schedules/${related.id}/changes`);
      expect(body).toContain('<h2 id="related-parties">Payments to related parties</h2>');
      expect(body).toContain(
        'Related parties declared for the first time: £10.86 a week per child paid to them above market; counting it as surplus, the adjusted surplus rate is 3.2097% (surplus rate 3%), within the 5% cap.',
      );
      expect(body).toContain(
        'Related party added: Harbour Properties Ltd (Companies House 09876543), under common control with the provider',
      );
      expect(body).toContain(
        'Lease from registered social landlord (PROPERTY_LEASE) now paid to related party Harbour Properties Ltd: £2,400.00 a month against a market £2,350.00 a month (Independent rental valuation, March 2026)',
      );
      expect(body.match(/data-related-change="party_added"/g)).toHaveLength(3);
      expect(body.match(/data-related-change="payment_added"/g)).toHaveLength(3);

      const json = await inject({ url: `/v1/fee-schedules/${related.id}/changes` });
      expect(json.statusCode, json.body).toBe(200);
      const change = json.json();
      expect(change.relatedParties).toMatchObject({
        fromExcessWeeklyPerChild: null,
        toExcessWeeklyPerChild: '10.86',
        excessDifference: '10.86',
        fromAdjustedSurplusRate: null,
        toAdjustedSurplusRate: '0.032097',
      });
      // related-party changes are not causes: the causes still add up to the fee difference
      const effects = change.causes.reduce(
        (sum: Dec, cause: { effectOnWeeklyFee: string }) => sum.plus(cause.effectOnWeeklyFee),
        new Dec(0),
      );
      expect(effects.toFixed(2)).toBe(change.difference);
      // two version 1 schedules: no related-party part at all
      const v1Change = (await inject({ url: `/v1/fee-schedules/${v2.id}/changes` })).json();
      expect(v1Change).not.toHaveProperty('relatedParties');
      const v1Page = await page(`/transparency/fee-schedules/${v2.id}/changes`);
      expect(v1Page).not.toContain('related part');
    });
  });

  it('sends no inline script and is allowed by the CSP', async () => {
    const response = await inject({ url: `/transparency/homes/${homeId}` });
    expect(response.headers['content-security-policy']).toContain("style-src 'self' https: 'unsafe-inline'");
    expect(response.body).not.toMatch(/<script|\son\w+=/i);
  });
});

describe('transparency pages with PUBLIC_TRANSPARENCY=false', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite', {
      env: { PUBLIC_TRANSPARENCY: 'false' },
      beforeReady: withTransparency,
    });
  });
  afterAll(() => testApp.close());

  it('refuses an anonymous request and serves a keyed one', async () => {
    expect((await testApp.app.inject({ url: '/transparency' })).statusCode).toBe(401);
    const keyed = await testApp.app.inject({ url: '/transparency', headers: adminAuth });
    expect(keyed.statusCode).toBe(200);
    // the icon browsers ask for by themselves is public all the same
    expect((await testApp.app.inject({ url: '/favicon.ico' })).statusCode).toBe(200);
  });
});
