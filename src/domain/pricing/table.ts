import type { Breakdown, BreakdownLine } from './breakdown.js';

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
 * Method v2 §6: the column a breakdown with `relatedParties` adds after `basis`: the related party
 * each line is paid to (its id; several joined by `;`), empty when none. A breakdown without
 * `relatedParties` has no such column, so that its CSV keeps its bytes.
 */
export const RELATED_PARTY_COLUMN = 'related_party';

/** The ids of the related parties a line is paid to, `;`-joined; "" when none. */
export function relatedPartyCell(line: Pick<BreakdownLine, 'relatedPartyId' | 'relatedPartyIds'>): string {
  return (line.relatedPartyIds ?? (line.relatedPartyId === undefined ? [] : [line.relatedPartyId])).join(';');
}

/**
 * The breakdown as rows of text for the CSV export and the CLI table: a header row, one row per
 * line in order, then the total row. A breakdown with `relatedParties` (method v2 §6) has one more
 * column, `related_party`, at the end.
 */
export function breakdownRows(breakdown: Breakdown): string[][] {
  const related = breakdown.relatedParties !== undefined;
  const rows: string[][] = [
    related ? [...BREAKDOWN_TABLE_HEADER, RELATED_PARTY_COLUMN] : [...BREAKDOWN_TABLE_HEADER],
  ];
  for (const line of breakdown.lines) {
    const row = [
      line.code,
      line.category,
      line.description,
      line.annualAmount,
      line.weeklyPerChild,
      line.shareOfFee,
      line.basis,
    ];
    if (related) row.push(relatedPartyCell(line));
    rows.push(row);
  }
  const total = [
    'TOTAL',
    '',
    'Weekly fee per child',
    breakdown.totals.annualAmount,
    breakdown.weeklyFeePerChild,
    breakdown.totals.shareOfFee,
    '',
  ];
  if (related) total.push('');
  rows.push(total);
  return rows;
}
