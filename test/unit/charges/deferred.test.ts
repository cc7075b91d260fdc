import { describe, expect, it } from 'vitest';
import { computeCharges, feesInForce } from '../../../src/domain/charges/index.js';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { placement, schedule } from './fixtures.js';

// Rule 2's deferral: a rise given notice on 20 March, effective 1 April, applies to Wirral (28 days'
// notice) from 17 April; to Sefton, with no deferral, from 1 April.
const WIRRAL = 'E08000015';
const SEFTON = 'E08000014';
const old = schedule({ id: 'old', effectiveFrom: '2026-11-01', publishedAt: '2026-10-01T09:00:00Z' });
const rise = schedule({
  id: 'rise',
  version: 2,
  effectiveFrom: '2027-03-01',
  publishedAt: '2027-02-20T09:00:00Z',
  weeklyFeePerChild: '5600.00',
  deferredFor: { [WIRRAL]: '2027-03-17' },
});

describe('computeCharges: a schedule deferred for a council by its uplift notice', () => {
  const charge = (schedules = [old, rise]) =>
    computeCharges({
      from: '2027-03-01',
      to: '2027-03-31',
      schedules,
      placements: [placement({ id: 'w', councilCode: WIRRAL }), placement({ id: 's', councilCode: SEFTON })],
    });

  it('charges the council the old fee until its deferred day, other councils the new fee at once', () => {
    const charges = charge();
    const wirral = charges.placements.find((p) => p.placementId === 'w')!;
    expect(wirral.lines.map((line) => [line.scheduleId, line.from, line.to, line.weeklyRate])).toEqual([
      ['old', '2027-03-01', '2027-03-16', '5495.78'],
      ['rise', '2027-03-17', '2027-03-31', '5600.00'],
    ]);
    const sefton = charges.placements.find((p) => p.placementId === 's')!;
    expect(sefton.lines.map((line) => [line.scheduleId, line.from, line.to])).toEqual([
      ['rise', '2027-03-01', '2027-03-31'],
    ]);
    // 16 days at 5495.78/7 + 15 days at 5600/7 = 12561.78 + 12000.00
    expect(wirral.total).toBe('24561.78');
  });

  it('a later schedule starting before the deferred day takes over: the deferred one is never in force for the council', () => {
    const correction = schedule({
      id: 'correction',
      version: 3,
      effectiveFrom: '2027-03-10',
      publishedAt: '2027-03-05T09:00:00Z',
      weeklyFeePerChild: '5550.00',
    });
    const wirral = charge([old, rise, correction]).placements.find((p) => p.placementId === 'w')!;
    expect(wirral.lines.map((line) => [line.scheduleId, line.from, line.to])).toEqual([
      ['old', '2027-03-01', '2027-03-09'],
      ['correction', '2027-03-10', '2027-03-31'],
    ]);
  });

  it("feesInForce as a council sees them, and as the home's own", () => {
    const range = { from: '2027-03-01', to: '2027-03-31', schedules: [old, rise] };
    expect(feesInForce({ ...range, councilCode: WIRRAL }).map((fee) => [fee.schedule.id, fee.days])).toEqual([
      ['old', 16],
      ['rise', 15],
    ]);
    expect(feesInForce(range).map((fee) => [fee.schedule.id, fee.days])).toEqual([['rise', 31]]);
  });

  it('refuses a deferred day that is not a date, with a pointer', () => {
    const bad = schedule({ id: 'bad', deferredFor: { [WIRRAL]: '2027-02-30' } });
    try {
      computeCharges({ from: '2027-03-01', to: '2027-03-31', schedules: [bad], placements: [] });
      expect.unreachable();
    } catch (error) {
      expect((error as DomainValidationError).issues).toEqual([
        { pointer: '/schedules/0/deferredFor/E08000015', message: expect.any(String) },
      ]);
    }
  });
});

describe('computeCharges: versions count per home and period', () => {
  it("charges across a home's two periods whose schedules are each version 1", () => {
    const next = schedule({
      id: 'next-year',
      version: 1,
      periodLabel: '2027-28',
      effectiveFrom: '2027-04-01',
      publishedAt: '2027-03-01T09:00:00Z',
      weeklyFeePerChild: '5600.00',
      model: { ...old.model, period: { label: '2027-28', start: '2027-04-01', end: '2028-03-31' } },
    });
    const charges = computeCharges({
      from: '2027-03-25',
      to: '2027-04-07',
      schedules: [old, next],
      placements: [placement({ id: 'p' })],
    });
    expect(charges.placements[0]?.lines.map((line) => line.scheduleId)).toEqual(['old', 'next-year']);
    const twice = schedule({ id: 'twin', effectiveFrom: '2026-12-01' });
    expect(() =>
      computeCharges({ from: '2027-03-25', to: '2027-04-07', schedules: [old, twice], placements: [] }),
    ).toThrow(DomainValidationError);
  });
});
