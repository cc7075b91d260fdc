import { dayOf, isoOf } from '../charges/days.js';
import { Dec } from '../money.js';
import type { Breakdown } from '../pricing/index.js';

/** A published schedule of one home, as far as the budget needs it. */
export interface BudgetSchedule {
  homeId: string;
  effectiveFrom: string;
  publishedAt: string;
  version: number;
  breakdown: Pick<Breakdown, 'daysInPeriod' | 'lines'>;
}

/**
 * The cost budget the fees were built on, for [from, to], by code: each day takes 1/D of the annual
 * amount of every cost line of the schedule in force that day (D = the schedule's days in period), the
 * same rule that picks the schedule for charging. SURPLUS is not a cost and is left out. Pure.
 */
export function budgetFromSchedules(
  schedules: readonly BudgetSchedule[],
  from: string,
  to: string,
): Array<{ code: string; amount: string }> {
  const first = dayOf(from);
  const last = dayOf(to);
  if (first === undefined || last === undefined || last < first) return [];
  const byHome = new Map<string, BudgetSchedule[]>();
  for (const schedule of schedules) {
    const list = byHome.get(schedule.homeId) ?? [];
    list.push(schedule);
    byHome.set(schedule.homeId, list);
  }
  const totals = new Map<string, InstanceType<typeof Dec>>();
  for (const list of byHome.values()) {
    for (const [schedule, days] of daysInForce(list, first, last)) {
      for (const line of schedule.breakdown.lines) {
        if (line.code === 'SURPLUS') continue;
        const share = new Dec(line.annualAmount).times(days).div(schedule.breakdown.daysInPeriod);
        totals.set(line.code, (totals.get(line.code) ?? new Dec(0)).plus(share));
      }
    }
  }
  return [...totals.entries()].map(([code, amount]) => ({
    code,
    amount: amount.toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2),
  }));
}

/**
 * How many of the days `first`..`last` each of one home's schedules is in force: the latest
 * effectiveFrom on or before the day; equal days: later published, then higher version.
 */
function daysInForce(
  schedules: readonly BudgetSchedule[],
  first: number,
  last: number,
): Map<BudgetSchedule, number> {
  const ordered = [...schedules].sort(
    (a, b) =>
      b.effectiveFrom.localeCompare(a.effectiveFrom) ||
      Date.parse(b.publishedAt) - Date.parse(a.publishedAt) ||
      b.version - a.version,
  );
  const days = new Map<BudgetSchedule, number>();
  for (let day = first; day <= last; day++) {
    const iso = isoOf(day);
    const inForce = ordered.find((schedule) => schedule.effectiveFrom <= iso);
    if (inForce) days.set(inForce, (days.get(inForce) ?? 0) + 1);
  }
  return days;
}
