import { describe, expect, it } from 'vitest';
import { CHARGING_RULE, computeCharges, dayOf, isoOf, occupancy } from '../../../src/domain/charges/index.js';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { enhancement, placement, schedule } from './fixtures.js';

// Worked examples. Every figure is worked by hand in the comment beside it: weekly × days ÷ 7, the
// placement total half-up, then the lines by largest remainder. Fee £5,495.78 a week (Wirral);
// its 25-hour rcw enhancement £617.80 a week.

const JUNE = { from: '2026-06-01', to: '2026-06-30' };
const wirral2026 = schedule({ id: 's1' });

function pointersOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainValidationError);
    return (error as DomainValidationError).issues.map((issue) => issue.pointer);
  }
  throw new Error('expected a DomainValidationError');
}

describe('day arithmetic', () => {
  it('counts days since the epoch without time zones, and back', () => {
    expect(dayOf('1970-01-01')).toBe(0);
    expect(dayOf('2028-02-29')! - dayOf('2028-02-28')!).toBe(1);
    expect(dayOf('2028-03-01')! - dayOf('2028-02-29')!).toBe(1);
    expect(dayOf('2027-02-29')).toBeUndefined();
    expect(dayOf('2026-13-01')).toBeUndefined();
    expect(dayOf('2026-6-1')).toBeUndefined();
    expect(isoOf(dayOf('2028-02-29')!)).toBe('2028-02-29');
  });
});

describe('computeCharges: worked examples', () => {
  it('splits a price change on the 15th into two runs', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [
        wirral2026,
        schedule({ id: 's2', version: 2, effectiveFrom: '2026-06-15', weeklyFeePerChild: '5600.00' }),
      ],
      placements: [placement({ id: 'p1', start: '2026-05-01' })],
    });
    const [p] = charges.placements;
    // 1–14 June: 5495.78 × 14 ÷ 7 = 10,991.56; 15–30 June: 5600 × 16 ÷ 7 = 12,800.00
    expect(p!.lines).toEqual([
      {
        kind: 'fee',
        description: 'Weekly fee per child, 2026-27',
        from: '2026-06-01',
        to: '2026-06-14',
        days: 14,
        scheduleId: 's1',
        scheduleVersion: 1,
        weeklyRate: '5495.78',
        amount: '10991.56',
        heldOver: false,
      },
      {
        kind: 'fee',
        description: 'Weekly fee per child, 2026-27',
        from: '2026-06-15',
        to: '2026-06-30',
        days: 16,
        scheduleId: 's2',
        scheduleVersion: 2,
        weeklyRate: '5600.00',
        amount: '12800.00',
        heldOver: false,
      },
    ]);
    expect(p).toMatchObject({
      from: '2026-06-01',
      to: '2026-06-30',
      daysCharged: 30,
      unpricedDays: 0,
      unpriced: [],
      feeTotal: '23791.56',
      enhancementTotal: '0.00',
      total: '23791.56',
    });
    expect(charges.total).toBe('23791.56');
    expect(charges.rule).toBe(CHARGING_RULE);
  });

  it('charges a placement ending on the 20th up to and including the 20th', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [wirral2026],
      placements: [placement({ id: 'p1', start: '2026-05-10', end: '2026-06-20' })],
    });
    // 20 days: 5495.78 × 20 ÷ 7 = 15,702.228571… → 15,702.23
    expect(charges.placements[0]).toMatchObject({
      from: '2026-06-01',
      to: '2026-06-20',
      daysCharged: 20,
      total: '15702.23',
      lines: [{ from: '2026-06-01', to: '2026-06-20', days: 20, amount: '15702.23' }],
    });
  });

  it('adds an enhancement from the 3rd as its own line, after the fee', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [wirral2026],
      placements: [
        placement({
          id: 'p1',
          start: '2026-06-01',
          enhancements: [enhancement({ id: 'e1', start: '2026-06-03' })],
        }),
      ],
    });
    const [p] = charges.placements;
    // fee 30 days: 5495.78 × 30 ÷ 7 = 23,553.342857…; enhancement 3–30 June, 28 days: 617.80 × 4 = 2,471.20
    // total 26,024.542857… → 26,024.54; floors 23,553.34 + 2,471.20 already add up
    expect(
      p!.lines.map((line) => [
        line.kind,
        line.enhancementId,
        line.from,
        line.to,
        line.weeklyRate,
        line.amount,
      ]),
    ).toEqual([
      ['fee', undefined, '2026-06-01', '2026-06-30', '5495.78', '23553.34'],
      ['enhancement', 'e1', '2026-06-03', '2026-06-30', '617.80', '2471.20'],
    ]);
    expect(p!.lines[1]!.description).toBe('1:1 support during school hours');
    expect(p).toMatchObject({ feeTotal: '23553.34', enhancementTotal: '2471.20', total: '26024.54' });
  });

  it('runs across a month boundary as one line, and splits by month within a penny', () => {
    const input = {
      schedules: [wirral2026],
      placements: [placement({ id: 'p1', start: '2027-01-20', end: '2027-02-10' })],
    };
    const quarter = computeCharges({ ...input, from: '2027-01-01', to: '2027-03-31' });
    // 20–31 January (12) + 1–10 February (10) = 22 days: 5495.78 × 22 ÷ 7 = 17,272.451428… → 17,272.45
    expect(quarter.placements[0]!.lines).toHaveLength(1);
    expect(quarter.placements[0]).toMatchObject({ daysCharged: 22, total: '17272.45' });
    // January 12 days: 9,421.337142… → 9,421.34; February 10 days: 7,851.114285… → 7,851.11
    const january = computeCharges({ ...input, from: '2027-01-01', to: '2027-01-31' });
    const february = computeCharges({ ...input, from: '2027-02-01', to: '2027-02-28' });
    expect(january.placements[0]).toMatchObject({ from: '2027-01-20', to: '2027-01-31', total: '9421.34' });
    expect(february.placements[0]).toMatchObject({ from: '2027-02-01', to: '2027-02-10', total: '7851.11' });
    const march = computeCharges({ ...input, from: '2027-03-01', to: '2027-03-31' });
    expect(march.placements).toEqual([]); // ended before the range: left out
    expect(march.total).toBe('0.00');
  });

  it('counts the leap day 29 February 2028, and a price change on it', () => {
    const charges = computeCharges({
      from: '2028-02-01',
      to: '2028-03-31',
      schedules: [
        schedule({ id: 'a', effectiveFrom: '2027-04-01', weeklyFeePerChild: '7000.00' }),
        schedule({ id: 'b', version: 2, effectiveFrom: '2028-02-29', weeklyFeePerChild: '7700.00' }),
      ],
      placements: [placement({ id: 'p1', start: '2028-02-28', end: '2028-03-01' })],
    });
    // 28 Feb at 7000 ÷ 7 = 1,000.00; 29 Feb and 1 Mar at 7700 × 2 ÷ 7 = 2,200.00
    expect(charges.placements[0]!.lines.map((line) => [line.from, line.to, line.days, line.amount])).toEqual([
      ['2028-02-28', '2028-02-28', 1, '1000.00'],
      ['2028-02-29', '2028-03-01', 2, '2200.00'],
    ]);
    expect(charges.placements[0]).toMatchObject({ daysCharged: 3, total: '3200.00' });
  });

  it('charges one day when a placement starts and ends on the same day', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [wirral2026],
      placements: [placement({ id: 'p1', start: '2026-06-10', end: '2026-06-10' })],
    });
    // 5495.78 ÷ 7 = 785.111428… → 785.11
    expect(charges.placements[0]).toMatchObject({
      from: '2026-06-10',
      to: '2026-06-10',
      daysCharged: 1,
      total: '785.11',
      lines: [{ days: 1, amount: '785.11' }],
    });
  });

  it('takes the later-published schedule when two share an effectiveFrom, then the higher version', () => {
    const earlier = schedule({ id: 'v1', version: 1, publishedAt: '2026-03-01T09:00:00Z' });
    const later = schedule({
      id: 'v2',
      version: 2,
      publishedAt: '2026-03-02T09:00:00+01:00',
      weeklyFeePerChild: '5600.00',
    });
    const placements = [placement({ id: 'p1', start: '2026-06-01', end: '2026-06-07' })];
    for (const schedules of [
      [earlier, later],
      [later, earlier],
    ]) {
      const charges = computeCharges({ ...JUNE, schedules, placements });
      // 7 days at 5600 = 5,600.00
      expect(charges.placements[0]!.lines).toMatchObject([{ scheduleId: 'v2', days: 7, amount: '5600.00' }]);
    }
    // equal instants (written with different offsets): the higher version wins
    const sameInstant = schedule({
      id: 'v3',
      version: 3,
      publishedAt: '2026-03-01T10:00:00+01:00',
      weeklyFeePerChild: '7000.00',
    });
    const charges = computeCharges({ ...JUNE, schedules: [sameInstant, earlier], placements });
    expect(charges.placements[0]!.lines).toMatchObject([{ scheduleId: 'v3', amount: '7000.00' }]);
    // a later effectiveFrom beats a later publishedAt
    const lateEffective = schedule({
      id: 'v4',
      version: 4,
      effectiveFrom: '2026-06-05',
      publishedAt: '2026-01-01T00:00:00Z',
    });
    const split = computeCharges({ ...JUNE, schedules: [later, lateEffective], placements });
    expect(split.placements[0]!.lines.map((line) => [line.scheduleId, line.days])).toEqual([
      ['v2', 4],
      ['v4', 3],
    ]);
  });

  it('reports days with no schedule in force as unpriced, never charging them', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [schedule({ id: 's2', effectiveFrom: '2026-06-15', weeklyFeePerChild: '5600.00' })],
      placements: [
        placement({
          id: 'p1',
          start: '2026-06-01',
          enhancements: [enhancement({ id: 'e1', start: '2026-06-01' })],
        }),
        placement({ id: 'p2', homeId: 'home-without-schedules', start: '2026-06-01', end: '2026-06-03' }),
      ],
    });
    const [p1, p2] = charges.placements;
    // 15–30 June: fee 5600 × 16 ÷ 7 = 12,800.00; enhancement 617.80 × 16 ÷ 7 = 1,412.114285…
    // total 14,212.114285… → 14,212.11
    expect(p1).toMatchObject({
      daysCharged: 16,
      unpricedDays: 14,
      unpriced: [
        { kind: 'fee', from: '2026-06-01', to: '2026-06-14', days: 14, reason: 'no_schedule' },
        {
          kind: 'enhancement',
          enhancementId: 'e1',
          from: '2026-06-01',
          to: '2026-06-14',
          days: 14,
          reason: 'no_schedule',
        },
      ],
      feeTotal: '12800.00',
      enhancementTotal: '1412.11',
      total: '14212.11',
    });
    expect(p2).toMatchObject({
      daysCharged: 0,
      unpricedDays: 3,
      unpriced: [{ kind: 'fee', from: '2026-06-01', to: '2026-06-03', days: 3, reason: 'no_schedule' }],
      lines: [],
      total: '0.00',
    });
    expect(charges.homes).toEqual([
      {
        homeId: 'home-1',
        placements: 1,
        daysCharged: 16,
        heldOverDays: 0,
        unpricedDays: 14,
        total: '14212.11',
      },
      {
        homeId: 'home-without-schedules',
        placements: 1,
        daysCharged: 0,
        heldOverDays: 0,
        unpricedDays: 3,
        total: '0.00',
      },
    ]);
  });

  it('reports an enhancement whose role the schedule does not have as unpriced, without throwing', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [wirral2026],
      placements: [
        placement({
          id: 'p1',
          start: '2026-06-01',
          end: '2026-06-07',
          enhancements: [enhancement({ id: 'e1', roleId: 'nurse' })],
        }),
      ],
    });
    expect(charges.placements[0]).toMatchObject({
      unpricedDays: 0,
      unpriced: [
        {
          kind: 'enhancement',
          enhancementId: 'e1',
          from: '2026-06-01',
          to: '2026-06-07',
          days: 7,
          reason: 'unknown_role',
          scheduleId: 's1',
        },
      ],
      total: '5495.78',
    });
  });

  it('clips an enhancement window to its placement and to the range', () => {
    const charges = computeCharges({
      from: '2026-06-10',
      to: '2026-06-30',
      schedules: [wirral2026],
      placements: [
        placement({
          id: 'p1',
          start: '2026-06-05',
          end: '2026-06-25',
          enhancements: [enhancement({ id: 'e1', start: '2026-05-01', end: '2026-07-31' })],
        }),
      ],
    });
    const [p] = charges.placements;
    // 10–25 June, 16 days each. Fee 5495.78 × 16 ÷ 7 = 12,561.782857…; enhancement 617.80 × 16 ÷ 7 =
    // 1,412.114285…; total 13,973.897142… → 13,973.90. Floors 12,561.78 + 1,412.11 = 13,973.89: the
    // penny goes to the larger remainder (the enhancement's 0.43p over the fee's 0.29p).
    expect(p!.lines.map((line) => [line.kind, line.from, line.to, line.days, line.amount])).toEqual([
      ['fee', '2026-06-10', '2026-06-25', 16, '12561.78'],
      ['enhancement', '2026-06-10', '2026-06-25', 16, '1412.12'],
    ]);
    expect(p).toMatchObject({ feeTotal: '12561.78', enhancementTotal: '1412.12', total: '13973.90' });
  });

  it('allocates pennies so that lines add up where rounding each line would not', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [
        schedule({ id: 'a', weeklyFeePerChild: '10.00' }),
        schedule({ id: 'b', version: 2, effectiveFrom: '2026-06-04', weeklyFeePerChild: '10.07' }),
      ],
      placements: [placement({ id: 'p1', start: '2026-06-01', end: '2026-06-06' })],
    });
    // 1–3 June: 10.00 × 3 ÷ 7 = 4.285714… (half-up alone 4.29); 4–6 June: 10.07 × 3 ÷ 7 = 4.315714… (4.32).
    // Rounded one by one they make 8.61, but the exact total 8.601428… is 8.60. Floors 4.28 + 4.31 = 8.59;
    // the remainders tie (4/7 of a penny each), so the penny goes to the earlier line.
    expect(charges.placements[0]!.lines.map((line) => line.amount)).toEqual(['4.29', '4.31']);
    expect(charges.placements[0]!.total).toBe('8.60');
  });

  it('keeps placements in input order, leaves out those outside the range, and totals per home', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [wirral2026, schedule({ id: 'h2', homeId: 'home-2', weeklyFeePerChild: '7000.00' })],
      placements: [
        placement({ id: 'b', homeId: 'home-2', start: '2026-06-01', end: '2026-06-07' }), // 7000.00
        placement({ id: 'before', start: '2026-04-01', end: '2026-05-31' }),
        placement({ id: 'a', start: '2026-06-24' }), // 7 days: 5495.78
        placement({ id: 'c', homeId: 'home-2', start: '2026-06-30', end: '2026-07-30' }), // 1 day: 1000.00
        placement({ id: 'after', start: '2026-07-01' }),
      ],
    });
    expect(charges.placements.map((p) => p.placementId)).toEqual(['b', 'a', 'c']);
    expect(charges.homes).toEqual([
      { homeId: 'home-2', placements: 2, daysCharged: 8, heldOverDays: 0, unpricedDays: 0, total: '8000.00' },
      { homeId: 'home-1', placements: 1, daysCharged: 7, heldOverDays: 0, unpricedDays: 0, total: '5495.78' },
    ]);
    expect(charges.total).toBe('13495.78');
  });

  it('orders lines by date, the fee before enhancements on the same day', () => {
    const charges = computeCharges({
      ...JUNE,
      schedules: [wirral2026, schedule({ id: 's2', version: 2, effectiveFrom: '2026-06-15' })],
      placements: [
        placement({
          id: 'p1',
          start: '2026-06-01',
          enhancements: [
            enhancement({ id: 'late', start: '2026-06-10', hoursPerWeek: '10' }),
            enhancement({ id: 'early', start: '2026-06-01', end: '2026-06-20' }),
          ],
        }),
      ],
    });
    expect(
      charges.placements[0]!.lines.map((line) => `${line.from} ${line.kind} ${line.enhancementId ?? ''}`),
    ).toEqual([
      '2026-06-01 fee ',
      '2026-06-01 enhancement early',
      '2026-06-10 enhancement late',
      '2026-06-15 fee ',
      '2026-06-15 enhancement late',
      '2026-06-15 enhancement early',
    ]);
  });
});

describe('computeCharges: refused input', () => {
  const base = { ...JUNE, schedules: [wirral2026], placements: [placement({ id: 'p1' })] };

  it('refuses a range that ends before it starts, and dates that do not exist', () => {
    expect(pointersOf(() => computeCharges({ ...base, from: '2026-06-30', to: '2026-06-01' }))).toEqual([
      '/to',
    ]);
    expect(pointersOf(() => computeCharges({ ...base, from: '2026-02-30' }))).toEqual(['/from']);
  });

  it('refuses a placement ending before it starts', () => {
    const placements = [placement({ id: 'p1', start: '2026-06-10', end: '2026-06-09' })];
    expect(pointersOf(() => computeCharges({ ...base, placements }))).toEqual(['/placements/0/end']);
  });

  it('refuses an enhancement with no day in common with its placement, or ending before it starts', () => {
    const placements = [
      placement({
        id: 'p1',
        start: '2026-06-01',
        end: '2026-06-10',
        enhancements: [
          enhancement({ id: 'e1', start: '2026-06-11' }),
          enhancement({ id: 'e2', start: '2026-06-05', end: '2026-06-04' }),
          enhancement({ id: 'e3', hoursPerWeek: '0' }),
        ],
      }),
    ];
    expect(pointersOf(() => computeCharges({ ...base, placements }))).toEqual([
      '/placements/0/enhancements/0',
      '/placements/0/enhancements/1/end',
      '/placements/0/enhancements/2/hoursPerWeek',
    ]);
  });

  it('refuses ambiguous or malformed schedules', () => {
    const schedules = [
      wirral2026,
      schedule({ id: 's1', version: 2 }),
      schedule({ id: 's3', version: 1 }),
      schedule({ id: 's4', version: 4, weeklyFeePerChild: '12.345', publishedAt: 'yesterday' }),
    ];
    expect(pointersOf(() => computeCharges({ ...base, schedules }))).toEqual([
      '/schedules/1/id',
      '/schedules/2/version',
      '/schedules/3/publishedAt',
      '/schedules/3/weeklyFeePerChild',
    ]);
  });

  it('refuses duplicate placement and enhancement ids', () => {
    const placements = [
      placement({ id: 'p1', enhancements: [enhancement({ id: 'e' }), enhancement({ id: 'e' })] }),
      placement({ id: 'p1' }),
    ];
    expect(pointersOf(() => computeCharges({ ...base, placements }))).toEqual([
      '/placements/0/enhancements/1/id',
      '/placements/1/id',
    ]);
  });
});

describe('occupancy', () => {
  it('divides occupied days by places × days, overlapping placements each counting', () => {
    const result = occupancy({
      ...JUNE,
      registeredPlaces: 4,
      plannedOccupancy: '0.9',
      placements: [
        { start: '2026-05-01', end: null }, // 30
        { start: '2026-06-10', end: '2026-06-19' }, // 10
        { start: '2026-06-15', end: '2026-07-10' }, // 16
        { start: '2026-07-01', end: null }, // 0
      ],
    });
    // 56 ÷ (4 × 30) = 0.466666… → 0.466667
    expect(result).toEqual({
      days: 30,
      placeDays: 120,
      occupiedDays: 56,
      occupancy: '0.466667',
      plannedOccupancy: '0.9',
    });
    expect(occupancy({ ...JUNE, registeredPlaces: 1, placements: [] })).toMatchObject({
      occupancy: '0.000000',
      plannedOccupancy: null,
    });
  });

  it('refuses a range ending before it starts and a placement ending before it starts', () => {
    expect(
      pointersOf(() =>
        occupancy({
          from: '2026-06-30',
          to: '2026-06-01',
          registeredPlaces: 0,
          placements: [{ start: '2026-06-02', end: '2026-06-01' }],
        }),
      ),
    ).toEqual(['/to', '/registeredPlaces', '/placements/0/end']);
  });
});
