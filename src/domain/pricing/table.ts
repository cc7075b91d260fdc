import type { Breakdown } from './breakdown.js';

export const BREAKDOWN_TABLE_HEADER = [
  'code',
  'category',
  'description',
  'annual_amount',
  'weekly_per_child',
  'share_of_fee',
  'basis',
] as const;

/**
 * The breakdown as rows of text for the CSV export and the CLI table: a header row, one row per
 * line in order, then the total row.
 */
export function breakdownRows(breakdown: Breakdown): string[][] {
  const rows: string[][] = [[...BREAKDOWN_TABLE_HEADER]];
  for (const line of breakdown.lines) {
    rows.push([
      line.code,
      line.category,
      line.description,
      line.annualAmount,
      line.weeklyPerChild,
      line.shareOfFee,
      line.basis,
    ]);
  }
  rows.push([
    'TOTAL',
    '',
    'Weekly fee per child',
    breakdown.totals.annualAmount,
    breakdown.weeklyFeePerChild,
    breakdown.totals.shareOfFee,
    '',
  ]);
  return rows;
}
