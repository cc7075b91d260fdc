import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChargePlacement,
  type ChargeSchedule,
  type Charges,
  computeCharges,
  dayOf,
  isoOf,
} from '../../../src/domain/charges/index.js';
import { enhancement, placement, schedule } from './fixtures.js';

// Properties over random homes, schedules, placements and enhancements on the Wirral model.

const BASE = dayOf('2026-04-01')!;
const SPAN = 150; // days of the generated world
const day = (offset: number) => isoOf(BASE + offset);
const toPennies = (money: string) => BigInt(money.replace('.', ''));

const scheduleArb = fc.record({
  homeId: fc.constantFrom('h1', 'h2'),
  effective: fc.integer({ min: -10, max: SPAN }),
  publishedMinute: fc.integer({ min: 0, max: 5 }),
  feePennies: fc.integer({ min: 0, max: 1_000_000 }),
});

const windowArb = fc
  .tuple(fc.integer({ min: -20, max: SPAN + 20 }), fc.option(fc.integer({ min: 0, max: 90 }), { nil: null }))
  .map(([start, length]) => ({ start, end: length === null ? null : start + length }));

const placementArb = fc.record({
  homeId: fc.constantFrom('h1', 'h2', 'h3'),
  window: windowArb,
  enhancements: fc.array(
    fc.record({
      // offsets from the placement's start; clipped windows and unknown roles included
      startOffset: fc.integer({ min: -5, max: 30 }),
      length: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
      roleId: fc.constantFrom('rcw', 'srcw', 'hk', 'nurse'),
      hours: fc.constantFrom('25', '7.5', '10'),
    }),
    { maxLength: 2 },
  ),
});

const worldArb = fc.record({
  schedules: fc.array(scheduleArb, { maxLength: 5 }),
  placements: fc.array(placementArb, { minLength: 1, maxLength: 6 }),
});

type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function build(world: World): { schedules: ChargeSchedule[]; placements: ChargePlacement[] } {
  const schedules = world.schedules.map((s, i) =>
    schedule({
      id: `s${i}`,
      homeId: s.homeId,
      version: i + 1,
      effectiveFrom: day(s.effective),
      publishedAt: `2026-03-01T09:0${s.publishedMinute}:00Z`,
      weeklyFeePerChild: (Number(s.feePennies) / 100).toFixed(2),
    }),
  );
  const placements = world.placements.map((p, i) => {
    const { start, end } = p.window;
    const enhancements = p.enhancements
      .map((e, j) => {
        const eStart = start + e.startOffset;
        const eEnd = e.length === null ? null : eStart + e.length;
        return { e, j, eStart, eEnd };
      })
      // keep only enhancements that share a day with their placement (others are refused input)
      .filter(({ eStart, eEnd }) => (end === null || eStart <= end) && (eEnd === null || eEnd >= start))
      .map(({ e, j, eStart, eEnd }) =>
        enhancement({
          id: `e${j}`,
          roleId: e.roleId,
          hoursPerWeek: e.hours,
          start: day(eStart),
          end: eEnd === null ? null : day(eEnd),
        }),
      );
    return placement({
      id: `p${i}`,
      homeId: p.homeId,
      start: day(start),
      end: end === null ? null : day(end),
      enhancements,
    });
  });
  return { schedules, placements };
}

function checkSums(charges: Charges): void {
  let total = 0n;
  const homes = new Map<string, bigint>();
  for (const p of charges.placements) {
    const lines = p.lines.reduce((sum, line) => sum + toPennies(line.amount), 0n);
    expect(lines).toBe(toPennies(p.total));
    expect(toPennies(p.feeTotal) + toPennies(p.enhancementTotal)).toBe(toPennies(p.total));
    const fees = p.lines
      .filter((line) => line.kind === 'fee')
      .reduce((sum, l) => sum + toPennies(l.amount), 0n);
    expect(fees).toBe(toPennies(p.feeTotal));
    total += toPennies(p.total);
    homes.set(p.homeId, (homes.get(p.homeId) ?? 0n) + toPennies(p.total));
  }
  expect(toPennies(charges.total)).toBe(total);
  expect(charges.homes.reduce((sum, home) => sum + toPennies(home.total), 0n)).toBe(total);
  for (const home of charges.homes) expect(toPennies(home.total)).toBe(homes.get(home.homeId));
}

function checkNonNegative(charges: Charges): void {
  const money = [charges.total, ...charges.homes.map((home) => home.total)];
  for (const p of charges.placements) {
    money.push(
      p.total,
      p.feeTotal,
      p.enhancementTotal,
      ...p.lines.flatMap((line) => [line.amount, line.weeklyRate]),
    );
    for (const line of p.lines) expect(line.days).toBeGreaterThan(0);
  }
  for (const value of money) expect(value).toMatch(/^\d+\.\d{2}$/);
}

describe('computeCharges: properties', () => {
  it('lines add up to placement totals, placement totals to homes and the total; nothing is negative', () => {
    fc.assert(
      fc.property(
        worldArb,
        fc.integer({ min: -10, max: SPAN }),
        fc.integer({ min: 0, max: SPAN }),
        (world, from, length) => {
          const charges = computeCharges({ ...build(world), from: day(from), to: day(from + length) });
          checkSums(charges);
          checkNonNegative(charges);
          // every placement day in range is either charged or unpriced
          for (const p of charges.placements) {
            expect(p.daysCharged + p.unpricedDays).toBe(dayOf(p.to)! - dayOf(p.from)! + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splitting the range at any day changes no placement total by more than a penny', () => {
    fc.assert(
      fc.property(
        worldArb,
        fc.integer({ min: -10, max: SPAN }),
        fc.integer({ min: 1, max: SPAN }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (world, from, length, at) => {
          const input = build(world);
          const split = from + Math.min(length - 1, Math.floor(at * length)); // from ≤ split < to
          const whole = computeCharges({ ...input, from: day(from), to: day(from + length) });
          const left = computeCharges({ ...input, from: day(from), to: day(split) });
          const right = computeCharges({ ...input, from: day(split + 1), to: day(from + length) });
          const totalOf = (charges: Charges, id: string) =>
            toPennies(charges.placements.find((p) => p.placementId === id)?.total ?? '0.00');
          for (const p of whole.placements) {
            const parts = totalOf(left, p.placementId) + totalOf(right, p.placementId);
            const difference = parts - toPennies(p.total);
            expect(difference >= -1n && difference <= 1n).toBe(true);
          }
          // and the days charged add up exactly
          const days = (charges: Charges) => charges.placements.reduce((sum, p) => sum + p.daysCharged, 0);
          expect(days(left) + days(right)).toBe(days(whole));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('computeCharges: scale', () => {
  it('charges 2,000 placements over a year quickly', () => {
    const schedules: ChargeSchedule[] = [];
    for (let h = 0; h < 20; h += 1) {
      schedules.push(schedule({ id: `h${h}-a`, homeId: `h${h}`, effectiveFrom: '2026-04-01' }));
      schedules.push(
        schedule({
          id: `h${h}-b`,
          homeId: `h${h}`,
          version: 2,
          effectiveFrom: '2026-10-01',
          weeklyFeePerChild: '5600.00',
        }),
      );
    }
    const placements: ChargePlacement[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const start = BASE + ((i * 37) % 300);
      placements.push(
        placement({
          id: `p${i}`,
          homeId: `h${i % 20}`,
          start: day(start - BASE),
          end: i % 3 === 0 ? null : day(start - BASE + 30 + (i % 200)),
          enhancements:
            i % 4 === 0
              ? [
                  enhancement({
                    id: 'e',
                    start: day(start - BASE + 5),
                    hoursPerWeek: i % 8 === 0 ? '25' : '10',
                  }),
                ]
              : [],
        }),
      );
    }
    const started = performance.now();
    const charges = computeCharges({ from: '2026-04-01', to: '2027-03-31', schedules, placements });
    const elapsed = performance.now() - started;
    expect(charges.placements).toHaveLength(2000);
    checkSums(charges);
    expect(elapsed).toBeLessThan(2000);
  });
});
