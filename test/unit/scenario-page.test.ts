import { describe, expect, it } from 'vitest';
import { penniesOf } from '../../src/domain/money.js';
import {
  planScenario,
  type ScenarioSpecInput,
  scenarioSpecSchema,
} from '../../src/domain/scenarios/index.js';
import type { ScenarioReport } from '../../src/domain/scenarios/report.js';
import { rateTables } from '../../src/modules/rates/index.js';
import { gbp, percent } from '../../src/web/html.js';
import { CHART_LEVERS, ROW_LIMIT, renderScenarioPage } from '../../src/web/scenario-page.js';
import { scenarioReportOf, wirralModel } from '../helpers/scenarios.js';

const options = { rateTables: rateTables() };

const HOSTILE = '<script>alert("x")</script> & co';
const SCENARIO_ID = '0b9e1c52-4f1a-4d0e-9a55-3c1f6f7d2a10';

/** The Wirral example at 95% occupancy (so that +10% occupancy, 104.5%, cannot be priced). */
const SPEC: ScenarioSpecInput = {
  changes: [
    { lever: 'plannedOccupancy', value: '0.95' },
    { lever: 'agencyShare', value: '0.15' },
  ],
  grids: [
    {
      name: `Occupancy by care pay ${HOSTILE}`,
      axes: [
        { lever: 'plannedOccupancy', values: ['0.75', '0.9', '1'] },
        { lever: 'payUplift', group: 'care', values: ['0', '0.03', '0.05'] },
      ],
    },
    {
      name: 'Lease',
      axes: [{ lever: 'amount', line: '/property/0', range: { from: '1000', to: '4000', step: '1' } }],
    },
    {
      name: 'Wide',
      axes: [
        { lever: 'agencyShare', values: ['0.1', '0.2'] },
        { lever: 'hourlyRate', line: 'hk', range: { from: '12.00', to: '13.20', step: '0.02' } },
      ],
    },
  ],
};

function reportOf(spec: ScenarioSpecInput, saved: boolean): ScenarioReport {
  return scenarioReportOf(wirralModel, spec, {
    source: { kind: 'draft', id: 'draft-1', version: 3, homeId: null },
    scenario: saved
      ? {
          id: SCENARIO_ID,
          name: `What if ${HOSTILE}`,
          costModelId: 'draft-1',
          savedAgainstVersion: 2,
          createdAt: '2026-03-02T10:00:00.000Z',
          createdBy: 'finance@example.org',
        }
      : undefined,
  });
}

/** The fee of the Wirral example with these changes, priced as a point (not as a grid). */
function feeWith(changes: ScenarioSpecInput['changes']): string {
  return planScenario(wirralModel, scenarioSpecSchema.parse({ changes }), options).pointFee.weeklyFeePerChild;
}

/** The table whose caption begins with `caption`. */
function tableCaptioned(page: string, caption: string): string {
  const tables = [...page.matchAll(/<table class="(?:stack|fit)">[\s\S]*?<\/table>/g)].map((m) => m[0]);
  const table = tables.find((t) => t.includes(`<caption>${caption}`));
  expect(table, `a table captioned "${caption}"`).toBeDefined();
  return table!;
}

/** The body rows of a table. */
const bodyRows = (table: string) =>
  [...table.replace(/[\s\S]*<tbody>/, '').matchAll(/<tr>[\s\S]*?<\/tr>/g)].map((m) => m[0]);

const report = reportOf(SPEC, true);
const page = renderScenarioPage(report);
const svg = page.match(/<svg class="tornado"[\s\S]*?<\/svg>/)?.[0] ?? '';

describe('the scenario page', () => {
  it('is titled by the saved scenario, escaped, and shows the point’s fee', () => {
    expect(page).toContain('<h1>What if &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</h1>');
    expect(page).toContain(`<p class="fee">${gbp(report.point.weeklyFeePerChild!)}</p>`);
    // the draft moved on from the version the scenario was saved against
    expect(page).toContain('data-draft-changed="true"');
  });

  it('escapes text from the inputs everywhere: no markup from a grid’s or scenario’s name', () => {
    expect(page).not.toContain('<script');
    expect(page).toContain(
      'Occupancy by care pay &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co',
    );
  });

  it('draws the tornado chart as an accessible SVG without script', () => {
    expect(svg).toMatch(/^<svg class="tornado"[^>]* role="img" aria-labelledby="tornado-title tornado-desc"/);
    expect(svg).toMatch(/<title id="tornado-title">[^<]+<\/title>/);
    expect(svg).toMatch(/<desc id="tornado-desc">[^<]*Planned occupancy[^<]*<\/desc>/);
    expect(page).not.toMatch(/<script|onload=|onclick=/i);
    const levers = report.sensitivity.levers;
    expect(levers.length).toBeGreaterThan(CHART_LEVERS);
    const groups = [...svg.matchAll(/<g data-lever="([^"]+)">/g)].map((m) => m[1]);
    expect(groups).toEqual(levers.slice(0, CHART_LEVERS).map((lever) => lever.key));
    expect(page).toContain(`the table lists all ${levers.length}`);
  });

  it('labels each bar with its step and the fee in pounds', () => {
    const occupancy = svg.match(/<g data-lever="plannedOccupancy">[\s\S]*?<\/g>/)?.[0] ?? '';
    // −10% of 95% is 85.5%: priced on its own as a point, the same fee as the bar's label
    const lower = feeWith([
      { lever: 'plannedOccupancy', value: '0.855' },
      { lever: 'agencyShare', value: '0.15' },
    ]);
    expect(lower).toBe('5790.36');
    expect(occupancy).toContain(`>−10% ${gbp(lower)}</text>`);
    // a lower occupancy is dearer: the bar goes right of the point's line, its label beyond its end
    const centre = Number(occupancy.match(/<line x1="([\d.]+)"/)?.[1]);
    expect(occupancy).toMatch(
      new RegExp(
        `<rect x="${centre.toFixed(1)}" [^>]*/><text [^>]*text-anchor="start">−10% £[\\d,.]+</text>`,
      ),
    );
    // lower care pay is cheaper: that bar goes left, its label anchored at its end; higher pay right
    const care = svg.match(/<g data-lever="payUplift:care">[\s\S]*?<\/g>/)?.[0] ?? '';
    const carePoints = report.sensitivity.levers.find((lever) => lever.key === 'payUplift:care')!.points;
    const careLower = carePoints.find((point) => point.step === '-0.10')!.weeklyFeePerChild!;
    expect(penniesOf(careLower)).toBeLessThan(penniesOf(report.point.weeklyFeePerChild!));
    expect(care).toMatch(
      new RegExp(`<rect x="[\\d.]+" [^>]*/><text [^>]*text-anchor="end">−10% ${gbp(careLower)}</text>`),
    );
    expect(care).toMatch(/text-anchor="start">\+10% £[\d,.]+<\/text>/);
    // +10% is 104.5%, above full: no bar, said in words
    expect(occupancy).toContain('+10%: not priced (see the table)');
    for (const lever of report.sensitivity.levers.slice(0, CHART_LEVERS)) {
      const group = svg.match(new RegExp(`<g data-lever="${lever.key}">[\\s\\S]*?</g>`))?.[0] ?? '';
      for (const [step, words] of [
        ['-0.10', '−10%'],
        ['0.10', '+10%'],
      ] as const) {
        const fee = lever.points.find((point) => point.step === step)!.weeklyFeePerChild;
        expect(group).toContain(fee === null ? `${words}: not priced` : `${words} ${gbp(fee)}</text>`);
      }
    }
  });

  it('lists every lever in the sensitivity table, with the problem where a step is not priced', () => {
    const table = tableCaptioned(page, 'The weekly fee per child with each lever moved');
    expect(bodyRows(table)).toHaveLength(report.sensitivity.levers.length);
    const occupancy = bodyRows(table).find((row) => row.includes('<th scope="row">Planned occupancy</th>'))!;
    expect(occupancy).toContain('data-label="Value at the point">95%</td>');
    expect(occupancy).toMatch(
      /data-label="Fee at \+10%"><span class="note">above the most planned occupancy may be \(1\)<\/span>/,
    );
    expect(occupancy).toContain(`data-label="Swing">${gbp(report.sensitivity.levers[0]!.swing)}</td>`);
  });

  it('shows a two-axis grid as a matrix of fees, first axis down and second across', () => {
    const table = tableCaptioned(page, 'Occupancy by care pay');
    const rows = bodyRows(table);
    expect(rows).toHaveLength(3);
    const full = rows.find((row) => row.startsWith('<tr><th scope="row">100%</th>'))!;
    // full occupancy and care pay up 3%, priced as a point of its own
    const expected = feeWith([
      { lever: 'agencyShare', value: '0.15' },
      { lever: 'plannedOccupancy', value: '1' },
      { lever: 'payUplift', group: 'care', value: '0.03' },
    ]);
    expect(expected).toBe('5065.32');
    expect(full).toContain(`<td class="num" data-label="+3%">${gbp(expected)}</td>`);
    expect(table).toContain('<th scope="col" class="num">+5%</th>');
  });

  it('shows a grid too wide for a matrix as rows', () => {
    const table = tableCaptioned(page, 'Wide: each combination');
    expect(bodyRows(table)).toHaveLength(122);
    expect(page).not.toContain('data-more-rows="0"');
  });

  it('shows at most the first 2,000 rows of a big grid, and says how many more the CSV has', () => {
    const table = tableCaptioned(page, 'Lease: each combination');
    const rows = bodyRows(table);
    expect(rows).toHaveLength(ROW_LIMIT);
    expect(rows[0]).toMatch(/^<tr><th scope="row">£1,000\.00<\/th>/);
    const first = report.grids[1]!.rows[0]!;
    expect(rows[0]).toContain(`data-label="Weekly fee">${gbp(first.weeklyFeePerChild!)}</td>`);
    expect(page).toContain(
      `Only the first 2,000 of 3,001 combinations are shown: 1,001 more are not. Download the <a href="/v1/scenarios/${SCENARIO_ID}?format=csv" type="text/csv">CSV</a> for all of them.`,
    );
  });

  it('shows break-even occupancy with its exact fraction', () => {
    const answer = report.breakEven;
    expect(answer.reachable).toBe(true);
    const table = tableCaptioned(page, 'Break-even occupancy at');
    expect(table).toContain(answer.fraction!.replace('/', '/<wbr>'));
    expect(table).toContain(`${answer.occupiedPlaces} of 4`);
    expect(page).toContain(answer.explanation);
    // the point priced back at the break-even occupancy: at most the target (the base's own fee)
    expect(answer.weeklyFee).toBe(report.base.figures.weeklyFeePerChild);
    expect(penniesOf(answer.weeklyFeeAtOccupancy!)).toBeLessThanOrEqual(penniesOf(answer.weeklyFee));
    expect(table).toContain(`data-label="Value">${gbp(answer.weeklyFeeAtOccupancy!)}</td>`);
    expect(table).toContain(`data-label="Value">${percent(answer.occupancy!)}</td>`);
  });

  it('says so when no occupancy breaks even at the fee asked', () => {
    const none = reportOf({ changes: [], grids: [], breakEven: { weeklyFee: '100.00' } }, false);
    expect(none.breakEven.occupancy).toBeNull();
    const table = tableCaptioned(renderScenarioPage(none), 'Break-even occupancy at £100.00 a week');
    expect(table).toContain('data-label="Value">No: no occupancy breaks even at this fee</td>');
    expect(table).toContain('data-label="Value">—</td>');
  });

  it('links the downloads of a saved scenario, and none without one', () => {
    for (const format of ['json', 'csv', 'xlsx']) {
      expect(page).toContain(`href="/v1/scenarios/${SCENARIO_ID}?format=${format}"`);
    }
    const unsaved = renderScenarioPage(reportOf({ changes: [], grids: [] }, false));
    expect(unsaved).toContain('<h1>Scenario</h1>');
    expect(unsaved).not.toContain('/v1/scenarios/');
    expect(unsaved).not.toContain('id="downloads"');
  });

  it('names a column in every data cell, so that tables stack on a phone', () => {
    for (const [table] of page.matchAll(/<table class="(?:stack|fit)">[\s\S]*?<\/table>/g)) {
      const headers = [...table.matchAll(/<th scope="col"[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
      for (const [, attributes, content] of table.matchAll(/<td([^>]*)>([\s\S]*?)<\/td>/g)) {
        if (content === '') continue;
        expect(headers).toContain(attributes?.match(/ data-label="([^"]*)"/)?.[1]);
      }
    }
  });
});
