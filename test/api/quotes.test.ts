import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';

const examples = new URL('../../fixtures/examples/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, examples), 'utf8');
const wirralModel = read('wirral-four-bed-2026-27.model.json');
const wirralExpected = JSON.parse(read('wirral-four-bed-2026-27.breakdown.json'));

describe('POST /v1/quotes', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite');
  });
  afterAll(() => testApp.close());

  const post = (payload: string | object, headers: Record<string, string> = {}) =>
    testApp.app.inject({
      method: 'POST',
      url: '/v1/quotes',
      headers: { 'content-type': 'application/json', ...adminAuth, ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it('prices the Wirral example to the penny', async () => {
    const response = await post(wirralModel);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const breakdown = response.json();
    for (const field of [
      'weeklyFeePerChild',
      'weeklyCostPerChild',
      'weeklySurplusPerChild',
      'annualIncomeAtPlannedOccupancy',
      'daysInPeriod',
      'plannedOccupiedPlaces',
    ]) {
      expect(breakdown[field], field).toEqual(wirralExpected[field]);
    }
    const pick = (lines: Array<Record<string, string>>) =>
      lines.map(({ code, category, annualAmount, weeklyPerChild }) => ({
        code,
        category,
        annualAmount,
        weeklyPerChild,
      }));
    expect(pick(breakdown.lines)).toEqual(pick(wirralExpected.lines));
    expect(breakdown.enhancements[0]).toMatchObject({ loadedHourlyCost: '23.76', weeklyCharge: '617.80' });
    for (const line of breakdown.lines) expect(line.basis).toEqual(expect.any(String));
  });

  it('answers a body sent again from the cache, from its third time, with the same bytes', async () => {
    const body = wirralModel.replace('"2026-27"', '"2026-27 "'); // a body no other test sends
    const first = await post(body);
    const second = await post(body);
    const third = await post(body);
    // kept from the second time it comes, not the first (a body never sent twice is not stored)
    expect([first, second, third].map((r) => r.headers['x-quote-cache'])).toEqual(['miss', 'miss', 'hit']);
    expect(third.body).toBe(first.body);
    expect(second.body).toBe(first.body);
    expect(third.headers['content-type']).toBe(first.headers['content-type']);
  });

  it('returns RFC 4180 CSV with a filename for Accept: text/csv', async () => {
    const response = await post(wirralModel, { accept: 'text/csv' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="quote-2026-27.csv"');
    const rows = response.body.trimEnd().split('\r\n');
    expect(rows[0]).toBe('code,category,description,annual_amount,weekly_per_child,share_of_fee,basis');
    expect(rows).toHaveLength(wirralExpected.lines.length + 2);
    expect(rows[1]).toMatch(/^STAFF_PAY,staffing,Registered Manager,48000\.00,255\.71,/);
    expect(rows.at(-1)).toMatch(/^TOTAL,,Weekly fee per child,1031636\.47,5495\.78,1\.0000,/);
    // the same body as JSON is cached apart from the CSV
    const json = await post(wirralModel);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
  });

  it('prices a model that names its rates by tax year, and shows the table used', async () => {
    const model = JSON.parse(wirralModel);
    delete model.rates;
    model.ratesFrom = '2026-27';
    const response = await post(model);
    expect(response.statusCode).toBe(200);
    const breakdown = response.json();
    expect(breakdown.ratesFrom.taxYear).toBe('2026-27');
    expect(breakdown.rates.employerNiRate).toBe('0.15');
    expect(breakdown.rates.niSecondaryThresholdAnnual).toBe('5000');
  });

  it('answers 422 naming every offending field by JSON pointer, for a model that breaks the rules', async () => {
    const model = JSON.parse(wirralModel);
    model.surplus.rate = '0.09';
    model.central.homeUnits = '41';
    model.enhancements[0].roleId = 'nobody';
    const response = await post(model);
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const pointers = response.json().errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining(['/surplus/rate', '/central/homeUnits', '/enhancements/0/roleId']),
    );
  });

  it('answers 422 for a JSON number where a decimal string belongs, and for an unknown field', async () => {
    const model = JSON.parse(wirralModel);
    model.property[0].amount = 2400;
    model.home.colour = 'blue';
    const response = await post(model);
    expect(response.statusCode).toBe(422);
    const pointers = response.json().errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/property/0/amount']));
    expect(pointers.some((p: string) => p.startsWith('/home'))).toBe(true);
  });

  it('answers 422 for an unknown tax year in ratesFrom', async () => {
    const model = JSON.parse(wirralModel);
    delete model.rates;
    model.ratesFrom = '1999-00';
    const response = await post(model);
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([expect.objectContaining({ pointer: '/ratesFrom' })]);
  });

  it('answers 406 when the caller accepts neither JSON nor CSV', async () => {
    const response = await post(wirralModel, { accept: 'application/pdf' });
    expect(response.statusCode).toBe(406);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers 400 for a body shorter than its Content-Length claims', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/v1/quotes',
      headers: { 'content-type': 'application/json', 'content-length': '5000', ...adminAuth },
      payload: '{"period":{}}',
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('GET /v1/rates', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite');
  });
  afterAll(() => testApp.close());

  it('lists the shipped tax years', async () => {
    const response = await testApp.app.inject({ url: '/v1/rates' });
    expect(response.json()).toEqual({ taxYears: ['2024-25', '2025-26', '2026-27'] });
  });

  it.each([
    ['2024-25', '0.138', '9100'],
    ['2025-26', '0.15', '5000'],
    ['2026-27', '0.15', '5000'],
  ])('serves %s with its sources', async (taxYear, niRate, threshold) => {
    const response = await testApp.app.inject({ url: `/v1/rates/${taxYear}` });
    expect(response.statusCode).toBe(200);
    const table = response.json();
    expect(table.taxYear).toBe(taxYear);
    expect(table.rates.employerNiRate).toBe(niRate);
    expect(table.rates.niSecondaryThresholdAnnual).toBe(threshold);
    for (const source of Object.values(table.sources) as Array<{ url: string }>) {
      expect(source.url).toMatch(/^https:\/\/www\.gov\.uk\//);
    }
  });

  it('answers 404 for a year it does not have and 400 for a malformed one', async () => {
    expect((await testApp.app.inject({ url: '/v1/rates/1999-00' })).statusCode).toBe(404);
    const bad = await testApp.app.inject({ url: '/v1/rates/last-year' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ pointer: '/taxYear', in: 'path' })]);
  });
});
