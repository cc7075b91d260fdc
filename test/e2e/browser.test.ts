import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import { type RunningService, startService } from '../helpers/service.js';

/**
 * The transparency pages in real Chromium (Debian's, driven by playwright-core), on the real service
 * seeded through its API. `.ci/run` installs chromium; elsewhere the test is skipped without it.
 */
const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../..', import.meta.url));
const artefacts = path.join(root, 'test-artifacts');
const ADMIN = 'browser-test-admin-key-0123456789abcdef';
const wirral = JSON.parse(
  readFileSync(path.join(root, 'fixtures/examples/wirral-four-bed-2026-27.model.json'), 'utf8'),
);
/** Method v2 §6: the Wirral home paying three related parties. */
const wirralRelated = JSON.parse(
  readFileSync(path.join(root, 'fixtures/examples/wirral-related-parties-2026-27.model.json'), 'utf8'),
);
const available = existsSync(CHROMIUM);
if (!available && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);

const pounds = (text: string) => new Dec(text.replace(/[£,\s]/g, ''));

/** The widths every page is checked at: a 390-pixel phone and a 1280-pixel desktop. */
const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
] as const;
type Width = (typeof WIDTHS)[number]['name'];

interface AxeViolation {
  id: string;
  impact: string;
  nodes: number;
  targets: string[];
}

/** What `layoutProblems` finds on a page: nothing, when it is laid out as it should be. */
interface LayoutReport {
  problems: string[];
  tables: number;
  cells: number;
  codes: number;
  /** The tallest row of a table's body, in pixels. */
  tallestRow: number;
  /** How each table is displayed: `table`, or `block` once stacked. */
  displays: Record<string, number>;
}

/** The little of the DOM the checks in the page use (the project compiles without the DOM library). */
interface DomElement {
  tagName: string;
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
  parentElement: DomElement | null;
  caption?: DomElement | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number; right: number };
  getClientRects(): { length: number };
  querySelectorAll(selectors: string): Iterable<DomElement>;
}
interface Dom {
  document: { documentElement: DomElement; querySelectorAll(selectors: string): Iterable<DomElement> };
  innerWidth: number;
  getComputedStyle(element: DomElement, pseudo?: string): { display: string; content: string };
  Image: new () => { src: string; naturalWidth: number; decode(): Promise<void> };
}

/**
 * Runs in the page: nothing wider than the screen, no table wider than its wrapper, no cell whose text
 * is cut off, no code broken over two lines, and each stacked cell labelled with its column.
 */
function layoutProblems(): LayoutReport {
  const dom = globalThis as unknown as Dom;
  const problems: string[] = [];
  const root = dom.document.documentElement;
  if (root.scrollWidth > dom.innerWidth)
    problems.push(`the page is ${root.scrollWidth}px wide on a ${dom.innerWidth}px screen`);
  const tables = [...dom.document.querySelectorAll('table')];
  const displays: Record<string, number> = {};
  let tallestRow = 0;
  for (const table of tables) {
    const name = table.caption?.textContent?.slice(0, 50) ?? '(no caption)';
    const display = dom.getComputedStyle(table).display;
    displays[display] = (displays[display] ?? 0) + 1;
    const parent = table.parentElement as DomElement;
    if (table.scrollWidth > parent.clientWidth)
      problems.push(`table "${name}" is ${table.scrollWidth}px wide in ${parent.clientWidth}px`);
    if (table.getBoundingClientRect().right > dom.innerWidth)
      problems.push(`table "${name}" runs off the screen`);
    for (const row of table.querySelectorAll('tbody tr'))
      tallestRow = Math.max(tallestRow, row.getBoundingClientRect().height);
  }
  const cells = [...dom.document.querySelectorAll('td, th')].filter((cell) => {
    const box = cell.getBoundingClientRect();
    // the column headers of a stacked table stay for screen readers, 1px and out of sight
    return box.width > 1 && box.height > 1;
  });
  for (const cell of cells) {
    if (cell.scrollWidth > cell.clientWidth)
      problems.push(
        `cell "${cell.textContent?.slice(0, 40)}" is cut off (${cell.scrollWidth} > ${cell.clientWidth})`,
      );
    const label = cell.getAttribute('data-label');
    if (cell.tagName === 'TD' && cell.textContent !== '' && label === null)
      problems.push(`cell "${cell.textContent?.slice(0, 40)}" has no data-label`);
    const stacked = dom.getComputedStyle(cell).display !== 'table-cell';
    if (stacked && label !== null && dom.getComputedStyle(cell, '::before').content !== JSON.stringify(label))
      problems.push(`stacked cell "${cell.textContent?.slice(0, 40)}" does not show its label "${label}"`);
  }
  const codes = [...dom.document.querySelectorAll('td code')];
  for (const code of codes) {
    if (code.getClientRects().length !== 1)
      problems.push(`code ${code.textContent} is broken over ${code.getClientRects().length} lines`);
  }
  return { problems, tables: tables.length, cells: cells.length, codes: codes.length, tallestRow, displays };
}

describe.skipIf(!available)('transparency pages in Chromium', () => {
  let service: RunningService;
  let browser: Browser;
  let dataDir: string;
  let homeId: string;
  let organisationId: string;
  let breakdown: { weeklyFeePerChild: string; lines: Array<{ category: string }> };
  /** Oxton House's two schedules, the first and the one after it. */
  let firstId: string;
  let secondId: string;
  /** Harbour House: a plain schedule, then one paying related parties. */
  let harbourId: string;
  let harbourPlainId: string;
  let harbourRelated: { id: string; breakdown: { relatedPartyExcessWeeklyPerChild?: string } };
  let reconciliationId: string;
  /** The uplift notice Wirral is given when Birkenhead Road's fee rises on 1 May 2026. */
  let noticeId: string;
  /** A finance team's saved scenario on Birkenhead Road's draft: a 6% care pay rise, occupancy by agency use. */
  let scenarioId: string;
  const contexts = new Map<Width, BrowserContext>();

  const api = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${service.address}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    // biome-ignore lint/suspicious/noExplicitAny: the test reads what the API sends
    return (await response.json()) as any;
  };

  const addHome = (name: string) =>
    api('POST', '/v1/homes', {
      organisationId,
      name,
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });

  /** April 2026 at Oxton House: two placements, spending 10% under budget, frozen as a reconciliation. */
  async function reconcileApril() {
    const april = 'from=2026-04-01&to=2026-04-30';
    for (const [councilCode, reference] of [
      ['E08000015', 'WIR-101'],
      ['E08000014', 'SEF-201'],
    ])
      await api('POST', '/v1/placements', {
        homeId,
        councilCode,
        reference,
        start: '2026-04-01',
        end: '2026-04-30',
      });
    const variance = await api('GET', `/v1/homes/${homeId}/variance?${april}`);
    const rows = variance.budget.map((line: { code: string; amount: string }) => ({
      month: '2026-04',
      code: line.code,
      amount: new Dec(line.amount).times(0.9).toFixed(2),
    }));
    await api('POST', `/v1/homes/${homeId}/actuals`, { rows }, { 'idempotency-key': 'browser-actuals-1' });
    const frozen = await api('POST', '/v1/reconciliations', {
      organisationId,
      from: '2026-04-01',
      to: '2026-04-30',
    });
    reconciliationId = frozen.id;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'care-browser-'));
    service = await startService({ DATA_DIR: dataDir, ADMIN_API_KEY: ADMIN });
    const organisation = await api('POST', '/v1/organisations', {
      name: 'Wirral Care CIC',
      legalForm: 'community_interest_company',
      surplusCapRate: '0.08',
    });
    organisationId = organisation.id;
    homeId = (await addHome('Oxton House')).id;
    const draft = await api('POST', `/v1/homes/${homeId}/cost-models`, wirral);
    const first = await api(
      'POST',
      `/v1/cost-models/${draft.id}/publish`,
      { effectiveFrom: '2026-04-01' },
      { 'idempotency-key': 'browser-publish-1' },
    );
    firstId = first.id;
    // a reconciliation of the whole organisation while it has only this home (and April's actuals)
    await reconcileApril();
    await api(
      'PATCH',
      `/v1/cost-models/${draft.id}`,
      { rates: { niSecondaryThresholdAnnual: '9100' } },
      { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    );
    const second = await api(
      'POST',
      `/v1/cost-models/${draft.id}/publish`,
      { effectiveFrom: '2026-05-01' },
      { 'idempotency-key': 'browser-publish-2' },
    );
    secondId = second.id;
    breakdown = second.breakdown;

    // Method v2 §6: the organisation's register holds the parties the model pays
    for (const party of wirralRelated.relatedParties) {
      await api('POST', '/v1/related-parties', {
        organisationId,
        reference: party.id,
        name: party.name,
        ...(party.companiesHouseNumber === undefined
          ? {}
          : { companiesHouseNumber: party.companiesHouseNumber }),
        relationship: party.relationship,
        description: `${party.name}, paid by Harbour House`,
        from: '2020-01-01',
      });
    }
    harbourId = (await addHome('Harbour House')).id;
    const plain = await api('POST', `/v1/homes/${harbourId}/cost-models`, wirral);
    harbourPlainId = (
      await api(
        'POST',
        `/v1/cost-models/${plain.id}/publish`,
        { effectiveFrom: '2026-04-01' },
        { 'idempotency-key': 'browser-publish-plain-1' },
      )
    ).id;
    const related = await api('POST', `/v1/homes/${harbourId}/cost-models`, wirralRelated);
    harbourRelated = await api(
      'POST',
      `/v1/cost-models/${related.id}/publish`,
      { effectiveFrom: '2026-05-01' },
      { 'idempotency-key': 'browser-publish-related-1' },
    );

    // an uplift notice: Wirral places a child at Birkenhead Road, under a framework moving prices on 1 May
    await api('POST', '/v1/indices/CPI', {
      date: '2026-03-31',
      value: '0.033',
      source: 'ONS, CPI annual rate 00: all items',
      sourceUrl: 'https://www.ons.gov.uk/economy/inflationandpriceindices',
    });
    await api('PUT', '/v1/councils/E08000015/uplift-formula', {
      formula: {
        framework: 'Merseyside test framework',
        terms: [{ index: 'CPI', weight: '1' }],
        lowerOf: [{ terms: [{ index: 'FIXED', weight: '1', rate: '0.015' }] }],
        reviewWhen: { index: 'CPI', above: '0.03' },
        noticeDays: 28,
        anniversary: '05-01',
      },
    });
    const birkenheadId = (await addHome('Birkenhead Road')).id;
    const birkenhead = await api('POST', `/v1/homes/${birkenheadId}/cost-models`, wirral);
    await api(
      'POST',
      `/v1/cost-models/${birkenhead.id}/publish`,
      { effectiveFrom: '2026-04-01' },
      { 'idempotency-key': 'browser-notice-1' },
    );
    await api('POST', '/v1/placements', {
      homeId: birkenheadId,
      councilCode: 'E08000015',
      reference: 'WIR-301',
      start: '2026-04-15',
    });
    await api(
      'PATCH',
      `/v1/cost-models/${birkenhead.id}`,
      { rates: { niSecondaryThresholdAnnual: '9100' } },
      { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    );
    await api(
      'POST',
      `/v1/cost-models/${birkenhead.id}/publish`,
      { effectiveFrom: '2026-05-01' },
      { 'idempotency-key': 'browser-notice-2' },
    );
    noticeId = (await api('GET', `/v1/uplift-notices?homeId=${birkenheadId}`)).items[0].id;
    scenarioId = (
      await api('POST', `/v1/cost-models/${birkenhead.id}/scenarios`, {
        name: 'NLW at 6% for care staff',
        changes: [{ lever: 'payUplift', group: 'care', value: '0.06' }],
        grids: [
          {
            name: 'Occupancy by agency use',
            axes: [
              { lever: 'plannedOccupancy', values: ['0.5', '0.75', '0.9', '1'] },
              { lever: 'agencyShare', range: { from: '0', to: '0.3', step: '0.1' } },
            ],
          },
          {
            name: 'Lease',
            axes: [
              { lever: 'amount', line: '/property/0', range: { from: '2000', to: '3000', step: '250' } },
            ],
          },
        ],
      })
    ).id;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // one context per width; axe is injected through the DevTools protocol, the pages' own CSP stays as served
    for (const { name, width, height } of WIDTHS)
      contexts.set(name, await browser.newContext({ viewport: { width, height }, bypassCSP: true }));
    mkdirSync(artefacts, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    service?.child.kill('SIGTERM');
    await service?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** axe's violations of the page as it is now. */
  async function axeViolations(page: Page, rules?: string[]): Promise<AxeViolation[]> {
    await page.evaluate(axe.source);
    return page.evaluate(async (only) => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is a global once injected
      const run = await (globalThis as any).axe.run((globalThis as any).document, {
        resultTypes: ['violations'],
        ...(only ? { runOnly: { type: 'rule', values: only } } : {}),
      });
      return run.violations.map((v: { id: string; impact: string; nodes: Array<{ target: string[] }> }) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map((node) => node.target.join(' ')),
      }));
    }, rules ?? null);
  }

  async function open(url: string, screenshot: string, width: Width = 'desktop') {
    const page = await (contexts.get(width) as BrowserContext).newPage();
    const response = await page.goto(`${service.address}${url}`);
    expect(response?.status()).toBe(200);
    await page.screenshot({ path: path.join(artefacts, screenshot), fullPage: true });
    const violations = await axeViolations(page);
    return { page, violations };
  }

  const serious = (violations: AxeViolation[]) =>
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

  it('lists the home with its current fee', async () => {
    const { page, violations } = await open('/transparency', 'transparency-index.png');
    const text = await page.locator('main, body').first().textContent();
    expect(text).toContain('Oxton House');
    expect(text).toContain(`£${breakdown.weeklyFeePerChild.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`);
    expect(serious(violations)).toEqual([]);
    await page.close();
  });

  it('shows the breakdown: the fee, lines that add up to it, one chart segment per category, no serious accessibility faults', async () => {
    const { page, violations } = await open(`/transparency/homes/${homeId}`, 'transparency-home.png');
    const fee = pounds((await page.locator('.fee').first().textContent()) ?? '');
    expect(fee.toFixed(2)).toBe(breakdown.weeklyFeePerChild);
    const table = page.locator('table', {
      has: page.locator('caption', { hasText: 'Every line of the fee' }),
    });
    const weekly = await table.locator('tbody tr td:nth-of-type(3)').allInnerTexts();
    expect(weekly).toHaveLength(breakdown.lines.length);
    expect(weekly.reduce((sum, cell) => sum.plus(pounds(cell)), new Dec(0)).toFixed(2)).toBe(
      breakdown.weeklyFeePerChild,
    );
    const categories = new Set(breakdown.lines.map((line) => line.category));
    expect(await page.locator('svg.bar rect').count()).toBe(categories.size);
    expect(serious(violations)).toEqual([]);
    await page.close();
  });

  it('shows what a home pays related parties against market, the adjusted surplus rate, with no accessibility faults', async () => {
    expect(harbourRelated.breakdown.relatedPartyExcessWeeklyPerChild).toBe('10.86');
    const { page, violations } = await open(
      `/transparency/homes/${harbourId}?on=2026-06-01`,
      'transparency-home-related-parties.png',
    );
    const section = page.getByRole('heading', { level: 2, name: 'Paid to related parties' });
    await expect(section.isVisible()).resolves.toBe(true);
    const table = page.getByRole('table', { name: /Payments to related parties, 2026-27/ });
    const lease = table.getByRole('row', { name: /Harbour Properties Ltd/ });
    const cells = await lease.locator('td').allInnerTexts();
    expect(cells.map((cell) => cell.trim())).toEqual([
      'Under common control with the provider',
      'Lease from registered social landlord PROPERTY_LEASE',
      '£28,800.00',
      '£28,200.00',
      'Independent rental valuation, March 2026',
      '£600.00',
    ]);
    const link = lease.getByRole('link', { name: 'Companies House 09876543' });
    expect(await link.getAttribute('href')).toBe(
      'https://find-and-update.company-information.service.gov.uk/company/09876543',
    );
    // the excess column adds up to the total row
    const excesses = await table.locator('tbody tr td:nth-of-type(6)').allInnerTexts();
    expect(excesses).toHaveLength(3);
    const total = (await table.locator('tfoot td:nth-of-type(6)').textContent()) ?? '';
    expect(excesses.reduce((sum, cell) => sum.plus(pounds(cell)), new Dec(0)).toFixed(2)).toBe(
      pounds(total).toFixed(2),
    );
    expect(pounds(total).toFixed(2)).toBe('2038.57');
    const sentence = await page.locator('p[data-adjusted-surplus-rate]').textContent();
    expect(sentence).toBe(
      'Surplus rate 3% of cost; counting £10.86 a week per child paid to related parties above market as surplus, the adjusted rate is 3.2097%, within the 8% cap.',
    );
    // the breakdown's lines paid to a party say so in words, and link to the section
    const lines = page.getByRole('table', { name: /Every line of the fee/ });
    const leaseLine = lines.getByRole('rowheader', { name: /Lease from registered social landlord/ });
    expect(await leaseLine.textContent()).toContain('Paid to a related party: Harbour Properties Ltd');
    expect(await lines.getByRole('link', { name: 'see payments to related parties' }).count()).toBe(3);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows the API reference at /docs under the name of the service, each Access line once, real examples', async () => {
    const page = await (contexts.get('desktop') as BrowserContext).newPage();
    await page.goto(`${service.address}/docs/`);
    await page.waitForSelector('#operations-pricing-createQuote', { timeout: 30_000 });
    expect(await page.title()).toBe('Cost-plus care pricing API: reference');
    // our name in place of the viewer's logo
    const logo = await page.locator('.topbar img').first().getAttribute('src');
    expect(Buffer.from(String(logo).split(',')[1] ?? '', 'base64').toString()).toContain(
      'Cost-plus care pricing API',
    );
    await page.locator('#operations-pricing-createQuote .opblock-summary').first().click();
    const opened = page.locator('#operations-pricing-createQuote');
    await opened.locator('.responses-wrapper').waitFor();
    const text = ((await opened.textContent()) ?? '').replace(/\s+/g, ' ');
    expect(text.match(/Access\./g)).toHaveLength(1);
    // the worked example as the request body, not values made up from the schema's patterns
    expect(text).toContain('"plannedOccupancy": "0.9"');
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
    await page.screenshot({ path: path.join(artefacts, 'docs-quote.png') });
    await page.close();
  }, 60_000);

  describe('on a 390-pixel phone and a 1280-pixel desktop', () => {
    /** Each page, with the downloads it must link to (anonymous GETs that answer 200). */
    const pages = () => [
      { name: 'index', url: '/transparency', downloads: ['/v1/fee-schedules?limit=200'] },
      {
        name: 'home',
        url: `/transparency/homes/${homeId}`,
        downloads: [
          `/v1/fee-schedules/${secondId}?format=json`,
          `/v1/fee-schedules/${secondId}?format=csv`,
          `/v1/homes/${homeId}/fee-schedules`,
        ],
      },
      {
        name: 'home-related-parties',
        url: `/transparency/homes/${harbourId}?on=2026-06-01`,
        downloads: [
          `/v1/fee-schedules/${harbourRelated.id}?format=json`,
          `/v1/fee-schedules/${harbourRelated.id}?format=csv`,
        ],
      },
      {
        name: 'changes',
        url: `/transparency/fee-schedules/${secondId}/changes`,
        downloads: [
          `/v1/fee-schedules/${secondId}/changes?from=${firstId}`,
          `/v1/fee-schedules/${firstId}?format=csv`,
          `/v1/fee-schedules/${secondId}?format=csv`,
        ],
      },
      {
        name: 'changes-related-parties',
        url: `/transparency/fee-schedules/${harbourRelated.id}/changes`,
        downloads: [`/v1/fee-schedules/${harbourRelated.id}/changes?from=${harbourPlainId}`],
      },
      { name: 'reconciliation', url: `/transparency/reconciliations/${reconciliationId}`, downloads: [] },
      {
        // the council's own: read with a key, as the links from it are
        name: 'uplift-notice',
        url: `/v1/uplift-notices/${noticeId}?format=html`,
        downloads: [
          `/v1/uplift-notices/${noticeId}?format=json`,
          `/v1/uplift-notices/${noticeId}?format=csv`,
        ],
        headers: { authorization: `Bearer ${ADMIN}` },
      },
      {
        // the finance team's own: read with a key, as the links from it are
        name: 'scenario',
        url: `/v1/scenarios/${scenarioId}?format=html`,
        downloads: [
          `/v1/scenarios/${scenarioId}?format=json`,
          `/v1/scenarios/${scenarioId}?format=csv`,
          `/v1/scenarios/${scenarioId}?format=xlsx`,
        ],
        headers: { authorization: `Bearer ${ADMIN}` },
      },
    ];

    it.each(WIDTHS)(
      'every page fits a $width-pixel screen, cuts off no cell, breaks no code, links its downloads and its icon, and has no serious accessibility fault',
      async ({ name: width }) => {
        const summary: Record<string, unknown> = {};
        for (const { name, url, downloads, headers } of pages()) {
          const viewport = WIDTHS.find((entry) => entry.name === width)!;
          const context = headers
            ? await browser.newContext({
                viewport: { width: viewport.width, height: viewport.height },
                bypassCSP: true,
                extraHTTPHeaders: headers,
              })
            : (contexts.get(width) as BrowserContext);
          const page = await context.newPage();
          const response = await page.goto(`${service.address}${url}`);
          expect(response?.status(), url).toBe(200);
          await page.screenshot({
            path: path.join(artefacts, `layout-${name}-${width}.png`),
            fullPage: true,
          });

          const layout = await page.evaluate(layoutProblems);
          expect(layout.problems, `${name} at ${width}`).toEqual([]);
          if (name === 'scenario') {
            // the sensitivity chart: an image with its own title and description, no script needed
            const chart = page.locator('svg[role="img"]');
            expect(await chart.count()).toBeGreaterThan(0);
            expect(await chart.first().locator(':scope > title').textContent()).toBeTruthy();
            expect(await chart.first().locator(':scope > desc').textContent()).toContain('£');
            expect(await page.locator('script').count()).toBe(0);
          }
          expect(layout.tables).toBeGreaterThan(0);
          if (width === 'desktop') {
            // proper tables on a desktop
            expect(Object.keys(layout.displays), name).toEqual(['table']);
          } else {
            // the wide tables stack on a phone: one block per row
            expect(layout.displays.block ?? 0, name).toBeGreaterThan(0);
          }
          // no row taller than most of the screen (a row broken letter by letter was)
          expect(layout.tallestRow, name).toBeLessThan(width === 'phone' ? 520 : 260);

          // the icon is inline, and decodes
          const icon = await page.locator('link[rel="icon"]').getAttribute('href');
          expect(icon).toMatch(/^data:image\/svg\+xml,/);
          const iconWidth = await page.evaluate(async (href) => {
            const image = new (globalThis as unknown as Dom).Image();
            image.src = href;
            await image.decode();
            return image.naturalWidth;
          }, icon as string);
          expect(iconWidth).toBeGreaterThan(0);

          // the download links are there, and every link into the API works without a key (with the page's own)
          const hrefs = await page
            .locator('a[href^="/v1/"], a[href^="/.well-known/"]')
            .evaluateAll((links) => links.map((link) => link.getAttribute('href') as string));
          for (const href of downloads) expect(hrefs, `${name} links to ${href}`).toContain(href);
          for (const href of new Set(hrefs)) {
            const fetched = await page.request.get(`${service.address}${href}`);
            expect(fetched.status(), `${name}: ${href}`).toBe(200);
          }
          expect(await page.getByText('Accept: text/csv').count()).toBe(0);

          const violations = await axeViolations(page);
          expect(serious(violations), `${name} at ${width}`).toEqual([]);
          // the scroll cue's gradients leave axe unsure of the colours behind table text: check it without them
          await page.addStyleTag({ content: '.table-wrap { background: none !important; }' });
          expect(await axeViolations(page, ['color-contrast']), `${name} at ${width}`).toEqual([]);
          summary[name] = {
            ...layout,
            problems: layout.problems.length,
            axe: violations.map((v) => `${v.id} (${v.impact})`),
          };
          await page.close();
          if (headers) await context.close();
        }
        console.log(`${width}: ${JSON.stringify(summary)}`);
      },
      60_000,
    );

    it('answers /favicon.ico with an icon, not a 404 or a 401', async () => {
      const response = await fetch(`${service.address}/favicon.ico`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/x-icon');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect([...bytes.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
      // and the service logged it as answered
      const logged = () => service.lines.filter((line) => line.includes('"url":"/favicon.ico"'));
      for (let wait = 0; logged().length === 0 && wait < 40; wait += 1)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(logged().length).toBeGreaterThan(0);
      expect(logged().every((line) => line.includes('"status":200'))).toBe(true);
    });
  });
});
