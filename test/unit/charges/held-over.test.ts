import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChargePlacement,
  type ChargeSchedule,
  computeCharges,
  dayOf,
  feesInForce,
  isoOf,
} from '../../../src/domain/charges/index.js';
import { DomainValidationError } from '../../../src/domain/errors.js';
import type { CostModel } from '../../../src/domain/pricing/index.js';
import { enhancement, placement, schedule, wirral } from './fixtures.js';

// Held over (method §7): a schedule still in force after its own period's end (its frozen model's
// `period.end`) is charged on those days, on lines of their own marked `heldOver`. Fee £5,495.78 a
// week (Wirral 2026-27, period 1 April 2026 to 31 March 2027); its 25-hour rcw enhancement £617.80.

const withPeriod = (model: CostModel, label: string, start: string, end: string): CostModel => ({
  ...model,
  period: { label, start, end },
});
const wirral2027: CostModel = withPeriod(wirral, '2027-28', '2027-04-01', '2028-03-31');
const toPennies = (money: string) => BigInt(money.replace('.', ''));

describe('computeCharges: held-over days', () => {
  it('splits a placement across 31 March 2027 under a 2026-27 schedule, fee and enhancement alike', () => {
    const charges = computeCharges({
      from: '2027-03-01',
      to: '2027-04-30',
      schedules: [schedule({ id: 's1' })],
      placements: [
        placement({
          id: 'p1',
          start: '2027-03-25',
          end: '2027-04-10',
          enhancements: [enhancement({ id: 'e1', start: '2027-03-29', end: '2027-04-05' })],
        }),
      ],
    });
    const [p] = charges.placements;
    // pennies × 7: fee 25–31 Mar 549,578 × 7 = 3,847,046 (5,495.78 exactly); fee 1–10 Apr 549,578 × 10
    // = 5,495,780 (7,851.114285…); enhancement 29–31 Mar 61,780 × 3 = 185,340 (264.771428…); 1–5 Apr
    // 61,780 × 5 = 308,900 (441.285714…). Sum 9,837,066 ÷ 7 = 1,405,295.142… → 14,052.95. Floors add up
    // to 14,052.94; the penny goes to the largest remainder (1–5 Apr, 4/7): 441.29.
    expect(
      p!.lines.map((line) => [line.kind, line.from, line.to, line.days, line.amount, line.heldOver]),
    ).toEqual([
      ['fee', '2027-03-25', '2027-03-31', 7, '5495.78', false],
      ['enhancement', '2027-03-29', '2027-03-31', 3, '264.77', false],
      ['fee', '2027-04-01', '2027-04-10', 10, '7851.11', true],
      ['enhancement', '2027-04-01', '2027-04-05', 5, '441.29', true],
    ]);
    expect(p!.lines.every((line) => line.scheduleId === 's1' && line.scheduleVersion === 1)).toBe(true);
    expect(p).toMatchObject({
      daysCharged: 17,
      heldOverDays: 10,
      unpricedDays: 0,
      feeTotal: '13346.89',
      enhancementTotal: '706.06',
      total: '14052.95',
    });
    expect(charges.homes).toEqual([
      {
        homeId: 'home-1',
        placements: 1,
        daysCharged: 17,
        heldOverDays: 10,
        unpricedDays: 0,
        total: '14052.95',
      },
    ]);
  });

  it('leaves the total exactly as it was without the split', () => {
    const input = {
      from: '2027-03-01',
      to: '2027-04-30',
      placements: [
        placement({
          id: 'p1',
          start: '2027-03-25',
          end: '2027-04-10',
          enhancements: [enhancement({ id: 'e1', start: '2027-03-29', end: '2027-04-05' })],
        }),
      ],
    };
    const split = computeCharges({ ...input, schedules: [schedule({ id: 's1' })] });
    // the same schedule, its period moved 400 years on (the calendar repeats): nothing is held over
    const far = withPeriod(wirral, '2426-27', '2426-04-01', '2427-03-31');
    const whole = computeCharges({ ...input, schedules: [schedule({ id: 's1', model: far })] });
    expect(whole.placements[0]!.lines.map((line) => [line.days, line.heldOver])).toEqual([
      [17, false],
      [8, false],
    ]);
    expect(whole.placements[0]!.heldOverDays).toBe(0);
    // 549,578 × 17 + 61,780 × 8 = 9,837,066 pennies × 7: the same exact sum, so the same total
    expect(split.placements[0]!.total).toBe(whole.placements[0]!.total);
    expect(split.total).toBe(whole.total);
  });

  it('holds the old fee over only until the next schedule comes into force', () => {
    const charges = computeCharges({
      from: '2027-03-01',
      to: '2027-05-31',
      schedules: [
        schedule({ id: 's1' }),
        // the 2027-28 fee, published late: from 1 May
        schedule({
          id: 's2',
          version: 2,
          periodLabel: '2027-28',
          effectiveFrom: '2027-05-01',
          publishedAt: '2027-04-20T09:00:00Z',
          weeklyFeePerChild: '5600.00',
          model: wirral2027,
        }),
      ],
      placements: [placement({ id: 'p1', start: '2027-03-20', end: '2027-05-10' })],
    });
    expect(
      charges.placements[0]!.lines.map((line) => [line.scheduleId, line.from, line.to, line.heldOver]),
    ).toEqual([
      ['s1', '2027-03-20', '2027-03-31', false],
      ['s1', '2027-04-01', '2027-04-30', true],
      ['s2', '2027-05-01', '2027-05-10', false],
    ]);
    expect(charges.placements[0]).toMatchObject({ daysCharged: 52, heldOverDays: 30 });
  });

  it('holds nothing over when a schedule effective mid-period is superseded before its end', () => {
    const schedules: ChargeSchedule[] = [
      schedule({ id: 'v1' }),
      // effective mid-period, then superseded within its period by v3
      schedule({ id: 'v2', version: 2, effectiveFrom: '2026-10-01', weeklyFeePerChild: '5600.00' }),
      schedule({ id: 'v3', version: 3, effectiveFrom: '2027-01-15', weeklyFeePerChild: '5700.00' }),
      // the next period's schedule from the first day of that period
      schedule({
        id: 'n1',
        version: 4,
        periodLabel: '2027-28',
        effectiveFrom: '2027-04-01',
        weeklyFeePerChild: '5800.00',
        model: wirral2027,
      }),
    ];
    const charges = computeCharges({
      from: '2026-04-01',
      to: '2027-06-30',
      schedules,
      placements: [
        placement({
          id: 'p1',
          start: '2026-09-01',
          enhancements: [enhancement({ id: 'e1', start: '2026-09-15', end: '2027-05-31' })],
        }),
      ],
    });
    const [p] = charges.placements;
    expect(p!.lines.filter((line) => line.kind === 'fee').map((line) => line.scheduleId)).toEqual([
      'v1',
      'v2',
      'v3',
      'n1',
    ]);
    expect(p!.lines.some((line) => line.heldOver)).toBe(false);
    expect(p!.heldOverDays).toBe(0);
    expect(charges.homes[0]!.heldOverDays).toBe(0);
  });

  it('counts held-over days per home across placements, and not the unpriced ones', () => {
    const charges = computeCharges({
      from: '2027-03-01',
      to: '2027-04-30',
      schedules: [schedule({ id: 's1', effectiveFrom: '2026-06-01' })],
      placements: [
        placement({ id: 'p1', start: '2027-04-20' }), // 11 days, all held over
        placement({ id: 'p2', start: '2027-03-01', end: '2027-04-02' }), // 2 held over
        placement({ id: 'p3', homeId: 'home-2', start: '2027-04-01' }), // no schedule: unpriced
      ],
    });
    expect(
      charges.placements.map((p) => [p.placementId, p.daysCharged, p.heldOverDays, p.unpricedDays]),
    ).toEqual([
      ['p1', 11, 11, 0],
      ['p2', 33, 2, 0],
      ['p3', 0, 0, 30],
    ]);
    expect(charges.homes.map((home) => [home.homeId, home.heldOverDays])).toEqual([
      ['home-1', 13],
      ['home-2', 0],
    ]);
  });

  it('refuses a schedule whose frozen model has no real period end', () => {
    const broken = { ...wirral, period: { ...wirral.period, end: '2027-02-30' } };
    try {
      computeCharges({
        from: '2026-06-01',
        to: '2026-06-30',
        schedules: [schedule({ id: 's1', model: broken })],
        placements: [placement({ id: 'p1' })],
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainValidationError);
      expect((error as DomainValidationError).issues.map((issue) => issue.pointer)).toEqual([
        '/schedules/0/model/period/end',
      ]);
    }
  });
});

describe('feesInForce: held-over days', () => {
  it("counts each schedule's days after its own period end", () => {
    const fees = feesInForce({
      from: '2027-01-01',
      to: '2027-06-30',
      schedules: [
        schedule({ id: 's1' }),
        schedule({ id: 's2', version: 2, effectiveFrom: '2027-05-01', model: wirral2027 }),
      ],
    });
    // s1 from 1 January to 30 April 2027: 120 days, of which April's 30 are held over
    expect(fees.map((fee) => [fee.schedule.id, fee.from, fee.to, fee.days, fee.heldOverDays])).toEqual([
      ['s1', '2027-01-01', '2027-04-30', 120, 30],
      ['s2', '2027-05-01', '2027-06-30', 61, 0],
    ]);
  });
});

// ── property: marking held-over days never changes what is charged ──────────────────────────────

const BASE = dayOf('2027-01-01')!;
const SPAN = 200; // days of the generated world, across 31 March 2027
const day = (offset: number) => isoOf(BASE + offset);
const MODELS = { '2026-27': wirral, '2027-28': wirral2027 } as const;

const worldArb = fc.record({
  schedules: fc.array(
    fc.record({
      homeId: fc.constantFrom('h1', 'h2'),
      effective: fc.integer({ min: -120, max: SPAN }),
      period: fc.constantFrom('2026-27', '2027-28'),
      feePennies: fc.integer({ min: 0, max: 1_000_000 }),
    }),
    { maxLength: 4 },
  ),
  placements: fc.array(
    fc.record({
      homeId: fc.constantFrom('h1', 'h2', 'h3'),
      start: fc.integer({ min: -20, max: SPAN }),
      length: fc.option(fc.integer({ min: 0, max: 150 }), { nil: null }),
      enhancements: fc.array(
        fc.record({
          startOffset: fc.integer({ min: 0, max: 40 }),
          length: fc.option(fc.integer({ min: 0, max: 120 }), { nil: null }),
          roleId: fc.constantFrom('rcw', 'hk', 'nurse'),
        }),
        { maxLength: 2 },
      ),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  from: fc.integer({ min: -10, max: SPAN }),
  length: fc.integer({ min: 0, max: SPAN }),
});

describe('computeCharges: held-over property', () => {
  it('charges the same totals and days as with no period end in sight; held-over lines never mix', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const schedules = world.schedules.map((s, i) =>
          schedule({
            id: `s${i}`,
            homeId: s.homeId,
            version: i + 1,
            periodLabel: s.period,
            effectiveFrom: day(s.effective),
            weeklyFeePerChild: (s.feePennies / 100).toFixed(2),
            model: MODELS[s.period],
          }),
        );
        // the same schedules with each model's period moved 400 years on (the calendar repeats, so
        // enhancements price the same): no day is after any period's end
        const far = schedules.map((s) => {
          const year = (iso: string) => `${Number(iso.slice(0, 4)) + 400}${iso.slice(4)}`;
          return {
            ...s,
            model: withPeriod(s.model, s.periodLabel, year(s.model.period.start), year(s.model.period.end)),
          };
        });
        const placements: ChargePlacement[] = world.placements.map((p, i) =>
          placement({
            id: `p${i}`,
            homeId: p.homeId,
            start: day(p.start),
            end: p.length === null ? null : day(p.start + p.length),
            enhancements: p.enhancements
              .filter((e) => p.length === null || e.startOffset <= p.length)
              .map((e, j) =>
                enhancement({
                  id: `e${j}`,
                  roleId: e.roleId,
                  start: day(p.start + e.startOffset),
                  end: e.length === null ? null : day(p.start + e.startOffset + e.length),
                }),
              ),
          }),
        );
        const range = { from: day(world.from), to: day(world.from + world.length) };
        const marked = computeCharges({ ...range, schedules, placements });
        const plain = computeCharges({ ...range, schedules: far, placements });

        const periodEnd = new Map(schedules.map((s) => [s.id, dayOf(s.model.period.end)!]));
        expect(marked.total).toBe(plain.total);
        expect(marked.placements).toHaveLength(plain.placements.length);
        marked.placements.forEach((m, i) => {
          const p = plain.placements[i]!;
          expect(m.placementId).toBe(p.placementId);
          expect(m.total).toBe(p.total);
          expect(m.daysCharged).toBe(p.daysCharged);
          expect(m.unpricedDays).toBe(p.unpricedDays);
          expect(p.heldOverDays).toBe(0);
          expect(p.lines.some((line) => line.heldOver)).toBe(false);
          // the lines still add up to the total, and no line mixes the two sides of a period end
          expect(m.lines.reduce((sum, line) => sum + toPennies(line.amount), 0n)).toBe(toPennies(m.total));
          for (const line of m.lines) {
            const end = periodEnd.get(line.scheduleId)!;
            if (line.heldOver) expect(dayOf(line.from)!).toBeGreaterThan(end);
            else expect(dayOf(line.to)!).toBeLessThanOrEqual(end);
          }
          // held-over days counted independently from the unsplit fee lines
          const expected = p.lines
            .filter((line) => line.kind === 'fee')
            .reduce((sum, line) => {
              const after = periodEnd.get(line.scheduleId)! + 1;
              return sum + Math.max(0, dayOf(line.to)! - Math.max(dayOf(line.from)!, after) + 1);
            }, 0);
          expect(m.heldOverDays).toBe(expected);
          // the same days under the same schedules, only cut at period ends
          const daysBy = (lines: typeof m.lines) => {
            const days = new Map<string, number>();
            for (const line of lines) {
              const key = `${line.kind}/${line.enhancementId ?? ''}/${line.scheduleId}`;
              days.set(key, (days.get(key) ?? 0) + line.days);
            }
            return days;
          };
          expect(daysBy(m.lines)).toEqual(daysBy(p.lines));
        });
        marked.homes.forEach((home, i) => {
          expect(home.total).toBe(plain.homes[i]!.total);
          const placementsOfHome = marked.placements.filter((m) => m.homeId === home.homeId);
          expect(home.heldOverDays).toBe(placementsOfHome.reduce((sum, m) => sum + m.heldOverDays, 0));
        });
      }),
      { numRuns: 200 },
    );
  });
});
