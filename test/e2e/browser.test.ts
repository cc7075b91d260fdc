import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { type Browser, chromium } from 'playwright-core';
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

describe.skipIf(!available)('transparency pages in Chromium', () => {
  let service: RunningService;
  let browser: Browser;
  let dataDir: string;
  let homeId: string;
  let organisationId: string;
  let breakdown: { weeklyFeePerChild: string; lines: Array<{ category: string }> };

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

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'care-browser-'));
    service = await startService({ DATA_DIR: dataDir, ADMIN_API_KEY: ADMIN });
    const organisation = await api('POST', '/v1/organisations', {
      name: 'Wirral Care CIC',
      legalForm: 'community_interest_company',
      surplusCapRate: '0.08',
    });
    const home = await api('POST', '/v1/homes', {
      organisationId: organisation.id,
      name: 'Oxton House',
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });
    homeId = home.id;
    const draft = await api('POST', `/v1/homes/${homeId}/cost-models`, wirral);
    const schedule = await api(
      'POST',
      `/v1/cost-models/${draft.id}/publish`,
      { effectiveFrom: '2026-04-01' },
      { 'idempotency-key': 'browser-publish-1' },
    );
    breakdown = schedule.breakdown;
    organisationId = organisation.id;
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
    mkdirSync(artefacts, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    service?.child.kill('SIGTERM');
    await service?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(url: string, screenshot: string) {
    // axe is injected through the DevTools protocol; the pages' own CSP stays as served
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    const response = await page.goto(`${service.address}${url}`);
    expect(response?.status()).toBe(200);
    await page.screenshot({ path: path.join(artefacts, screenshot), fullPage: true });
    await page.evaluate(axe.source);
    const result = await page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is a global once injected
      const run = await (globalThis as any).axe.run((globalThis as any).document, {
        resultTypes: ['violations'],
      });
      return run.violations.map((v: { id: string; impact: string; nodes: unknown[] }) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.length,
      }));
    });
    return { page, context, violations: result as Array<{ id: string; impact: string; nodes: number }> };
  }

  it('lists the home with its current fee', async () => {
    const { page, context, violations } = await open('/transparency', 'transparency-index.png');
    const text = await page.locator('main, body').first().textContent();
    expect(text).toContain('Oxton House');
    expect(text).toContain(`£${breakdown.weeklyFeePerChild.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`);
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await context.close();
  });

  it('shows the breakdown: the fee, lines that add up to it, one chart segment per category, no serious accessibility faults', async () => {
    const { page, context, violations } = await open(
      `/transparency/homes/${homeId}`,
      'transparency-home.png',
    );
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
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    // readable on a phone too
    await page.setViewportSize({ width: 375, height: 800 });
    await page.screenshot({ path: path.join(artefacts, 'transparency-home-phone.png'), fullPage: true });
    await context.close();
  });

  it('shows what a home pays related parties against market, the adjusted surplus rate, with no accessibility faults', async () => {
    // the organisation's register holds the parties the model pays
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
    const home = await api('POST', '/v1/homes', {
      organisationId,
      name: 'Harbour House',
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });
    const draft = await api('POST', `/v1/homes/${home.id}/cost-models`, wirralRelated);
    const schedule = await api(
      'POST',
      `/v1/cost-models/${draft.id}/publish`,
      { effectiveFrom: '2026-04-01' },
      { 'idempotency-key': 'browser-publish-related-1' },
    );
    expect(schedule.breakdown.relatedPartyExcessWeeklyPerChild).toBe('10.86');

    const { page, context, violations } = await open(
      `/transparency/homes/${home.id}?on=2026-06-01`,
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
    await context.close();
  });
});
