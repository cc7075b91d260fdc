import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChargePlacement,
  type ChargeSchedule,
  computeCharges,
  dayOf,
  isoOf,
} from '../../../src/domain/charges/index.js';
import {
  type CostSpan,
  placementCostSpans,
  type ScheduleLines,
} from '../../../src/domain/placement-costs/index.js';
import { enhancement, placement, schedule } from '../charges/fixtures.js';

// The Wirral example: fee 5495.78 a week, of which RUNNING_EDUCATION 31.96; 25 extra hours of its
// rcw line are charged 617.80 a week. The spans are read off computeCharges' lines.

const wirralLines: ScheduleLines['breakdown']['lines'] = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/examples/wirral-four-bed-2026-27.breakdown.json', import.meta.url),
    'utf8',
  ),
).lines;
const s1 = schedule({ id: 's1' });
const s2 = schedule({ id: 's2', version: 2, effectiveFrom: '2026-06-15', weeklyFeePerChild: '5600.00' });
const breakdowns: ScheduleLines[] = [
  { id: 's1', breakdown: { lines: wirralLines } },
  {
    id: 's2',
    breakdown: {
      lines: [
        { code: 'STAFF_PAY', weeklyPerChild: '5560.00' },
        { code: 'RUNNING_EDUCATION', weeklyPerChild: '40.00' },
      ],
    },
  },
];

function costsOf(input: {
  from: string;
  to: string;
  schedules: ChargeSchedule[];
  placements: ChargePlacement[];
}) {
  const charges = computeCharges(input);
  return { charges, ...placementCostSpans({ placements: charges.placements, schedules: breakdowns }) };
}

const brief = (span: CostSpan) => ({
  from: span.from,
  to: span.to,
  days: span.days,
  heldOver: span.heldOver,
  schedule: span.feeSchedule.id,
  enhancements: span.enhancements.map((e) => `${e.id} ${e.weeklyCharge}`),
  total: span.costs.totalWeeklyCost,
});

describe('placementCostSpans: worked examples', () => {
  it('splits a span where an enhancement starts mid-range, with the figures of the Wirral example', () => {
    const { spans, unpriced } = costsOf({
      from: '2026-06-01',
      to: '2026-06-30',
      schedules: [s1],
      placements: [
        placement({
          id: 'p1',
          start: '2026-05-01',
          enhancements: [enhancement({ id: 'e1', start: '2026-06-10', end: '2026-06-20' })],
        }),
      ],
    });
    expect(unpriced).toEqual([]);
    expect(spans).toEqual([
      {
        placementId: 'p1',
        homeId: 'home-1',
        reference: 'REF-p1',
        from: '2026-06-01',
        to: '2026-06-09',
        days: 9,
        heldOver: false,
        feeSchedule: { id: 's1', version: 1, weeklyFeePerChild: '5495.78' },
        enhancements: [],
        costs: {
          coreWeeklyCost: '5463.82',
          additionalSupportWeeklyCost: '0.00',
          educationWeeklyCost: '31.96',
          otherWeeklyCost: '0.00',
          totalWeeklyCost: '5495.78',
        },
      },
      {
        placementId: 'p1',
        homeId: 'home-1',
        reference: 'REF-p1',
        from: '2026-06-10',
        to: '2026-06-20',
        days: 11,
        heldOver: false,
        feeSchedule: { id: 's1', version: 1, weeklyFeePerChild: '5495.78' },
        enhancements: [{ id: 'e1', description: '1:1 support during school hours', weeklyCharge: '617.80' }],
        costs: {
          coreWeeklyCost: '5463.82',
          additionalSupportWeeklyCost: '617.80',
          educationWeeklyCost: '31.96',
          otherWeeklyCost: '0.00',
          totalWeeklyCost: '6113.58',
        },
      },
      expect.objectContaining({ from: '2026-06-21', to: '2026-06-30', days: 10, enhancements: [] }),
    ]);
  });

  it('splits where a new fee schedule takes effect, each span at its own education share', () => {
    const { spans } = costsOf({
      from: '2026-06-01',
      to: '2026-06-30',
      schedules: [s1, s2],
      placements: [
        placement({
          id: 'p1',
          start: '2026-06-05',
          enhancements: [enhancement({ id: 'e1', start: '2026-06-05' })],
        }),
      ],
    });
    expect(spans.map(brief)).toEqual([
      {
        from: '2026-06-05',
        to: '2026-06-14',
        days: 10,
        heldOver: false,
        schedule: 's1',
        enhancements: ['e1 617.80'],
        total: '6113.58',
      },
      {
        from: '2026-06-15',
        to: '2026-06-30',
        days: 16,
        heldOver: false,
        schedule: 's2',
        enhancements: ['e1 617.80'],
        total: '6217.80',
      },
    ]);
    expect(spans[1]!.costs).toEqual({
      coreWeeklyCost: '5560.00',
      additionalSupportWeeklyCost: '617.80',
      educationWeeklyCost: '40.00',
      otherWeeklyCost: '0.00',
      totalWeeklyCost: '6217.80',
    });
  });

  it("splits at the fee schedule's own period end: the days after are held over", () => {
    const { spans } = costsOf({
      from: '2027-03-25',
      to: '2027-04-05',
      schedules: [s1],
      placements: [placement({ id: 'p1' })],
    });
    expect(spans.map(brief)).toEqual([
      {
        from: '2027-03-25',
        to: '2027-03-31',
        days: 7,
        heldOver: false,
        schedule: 's1',
        enhancements: [],
        total: '5495.78',
      },
      {
        from: '2027-04-01',
        to: '2027-04-05',
        days: 5,
        heldOver: true,
        schedule: 's1',
        enhancements: [],
        total: '5495.78',
      },
    ]);
  });

  it('lists days with no fee schedule in force, and an enhancement of a role the model lacks, as unpriced', () => {
    const { spans, unpriced } = costsOf({
      from: '2026-03-25',
      to: '2026-04-10',
      schedules: [s1],
      placements: [
        placement({
          id: 'p1',
          start: '2026-03-20',
          enhancements: [
            enhancement({ id: 'nurse', roleId: 'nurse', start: '2026-04-03', end: '2026-04-05' }),
          ],
        }),
      ],
    });
    expect(spans.map(brief)).toEqual([
      {
        from: '2026-04-01',
        to: '2026-04-10',
        days: 10,
        heldOver: false,
        schedule: 's1',
        enhancements: [],
        total: '5495.78',
      },
    ]);
    expect(unpriced).toEqual([
      {
        placementId: 'p1',
        homeId: 'home-1',
        reference: 'REF-p1',
        kind: 'fee',
        from: '2026-03-25',
        to: '2026-03-31',
        days: 7,
        reason: 'no_schedule',
      },
      {
        placementId: 'p1',
        homeId: 'home-1',
        reference: 'REF-p1',
        kind: 'enhancement',
        enhancementId: 'nurse',
        from: '2026-04-03',
        to: '2026-04-05',
        days: 3,
        reason: 'unknown_role',
        scheduleId: 's1',
      },
    ]);
  });

  it('gives a one-day range one span per placement, and leaves out placements outside it', () => {
    const { spans } = costsOf({
      from: '2026-06-10',
      to: '2026-06-10',
      schedules: [s1],
      placements: [
        placement({ id: 'p1', enhancements: [enhancement({ id: 'e1', start: '2026-06-01' })] }),
        placement({ id: 'p2', start: '2026-06-11' }),
        placement({ id: 'p3', start: '2026-06-10', end: '2026-06-10' }),
      ],
    });
    expect(spans.map((span) => [span.placementId, span.from, span.to, span.costs.totalWeeklyCost])).toEqual([
      ['p1', '2026-06-10', '2026-06-10', '6113.58'],
      ['p3', '2026-06-10', '2026-06-10', '5495.78'],
    ]);
  });

  it('refuses to split a line at a schedule whose breakdown it was not given', () => {
    const charges = computeCharges({
      from: '2026-06-01',
      to: '2026-06-30',
      schedules: [schedule({ id: 'elsewhere' })],
      placements: [placement({ id: 'p1' })],
    });
    expect(() => placementCostSpans({ placements: charges.placements, schedules: breakdowns })).toThrow(
      /no breakdown given for fee schedule elsewhere/,
    );
  });
});

// ── properties over random placements, on the charging rule's own output ───────────────────────

const BASE = dayOf('2026-04-01')!;
const day = (offset: number) => isoOf(BASE + offset);
const pennies = (money: string) => BigInt(money.replace('.', ''));

const worldArb = fc.record({
  second: fc.option(fc.integer({ min: -5, max: 120 }), { nil: null }),
  placements: fc.array(
    fc.record({
      start: fc.integer({ min: -20, max: 120 }),
      length: fc.option(fc.integer({ min: 0, max: 90 }), { nil: null }),
      enhancements: fc.array(
        fc.record({
          startOffset: fc.integer({ min: 0, max: 40 }),
          length: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
          roleId: fc.constantFrom('rcw', 'srcw', 'nurse'),
          hours: fc.constantFrom('25', '7.5'),
        }),
        { maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  from: fc.integer({ min: -10, max: 120 }),
  length: fc.integer({ min: 0, max: 400 }),
});

describe('placementCostSpans: properties', () => {
  it('covers exactly the days charged a fee, once each, in order; its parts add up; it charges what the lines charge', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const schedules = [s1];
        if (world.second !== null) schedules.push({ ...s2, effectiveFrom: day(world.second) });
        const placements = world.placements.map((p, i) =>
          placement({
            id: `p${i}`,
            start: day(p.start),
            end: p.length === null ? null : day(p.start + p.length),
            enhancements: p.enhancements
              .filter((e) => p.length === null || e.startOffset <= p.length)
              .map((e, j) =>
                enhancement({
                  id: `e${j}`,
                  roleId: e.roleId,
                  hoursPerWeek: e.hours,
                  start: day(p.start + e.startOffset),
                  end: e.length === null ? null : day(p.start + e.startOffset + e.length),
                }),
              ),
          }),
        );
        const { charges, spans } = costsOf({
          from: day(world.from),
          to: day(world.from + world.length),
          schedules,
          placements,
        });
        for (const charged of charges.placements) {
          const own = spans.filter((span) => span.placementId === charged.placementId);
          // once each, in order, and only the days charged a fee
          expect(own.reduce((sum, span) => sum + span.days, 0)).toBe(charged.daysCharged);
          for (let k = 1; k < own.length; k += 1)
            expect(dayOf(own[k]!.from)!).toBeGreaterThan(dayOf(own[k - 1]!.to)!);
          // adjacent spans differ in what they charge (they are as long as they can be)
          for (let k = 1; k < own.length; k += 1) {
            const [a, b] = [own[k - 1]!, own[k]!];
            if (dayOf(b.from)! === dayOf(a.to)! + 1)
              expect([b.feeSchedule, b.heldOver, b.enhancements]).not.toEqual([
                a.feeSchedule,
                a.heldOver,
                a.enhancements,
              ]);
          }
          // weekly cost × days, summed over the spans, is what the charging rule's lines charge, exactly
          const bySpans = own.reduce(
            (sum, span) => sum + pennies(span.costs.totalWeeklyCost) * BigInt(span.days),
            0n,
          );
          const byLines = charged.lines.reduce(
            (sum, line) => sum + pennies(line.weeklyRate) * BigInt(line.days),
            0n,
          );
          expect(bySpans).toBe(byLines);
          for (const span of own) {
            const { coreWeeklyCost, additionalSupportWeeklyCost, educationWeeklyCost, otherWeeklyCost } =
              span.costs;
            expect(
              pennies(coreWeeklyCost) +
                pennies(additionalSupportWeeklyCost) +
                pennies(educationWeeklyCost) +
                pennies(otherWeeklyCost),
            ).toBe(pennies(span.costs.totalWeeklyCost));
            expect(span.costs.educationWeeklyCost).toBe(span.feeSchedule.id === 's1' ? '31.96' : '40.00');
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
