import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BREAKDOWN_TABLE_HEADER,
  breakdownRows,
  costModelSchema,
  priceCostModel,
} from '../../../src/domain/pricing/index.js';
import { toCsv } from '../../../src/formats/csv.js';

// The breakdown as CSV rows: method v2 §6 adds a trailing `related_party` column to a breakdown with
// related parties, and only to one.

type Json = Record<string, unknown>;
const examplesDir = new URL('../../../fixtures/examples/', import.meta.url);
const example = (name: string): Json =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`${name}.model.json`, examplesDir)), 'utf8'));
const price = (input: Json) => priceCostModel(costModelSchema.parse(input));

describe('breakdownRows and related parties', () => {
  it('leaves a breakdown without related parties as it was: seven columns', () => {
    const breakdown = price(example('wirral-four-bed-2026-27'));
    expect(breakdown.relatedParties).toBeUndefined();
    const rows = breakdownRows(breakdown);
    expect(rows[0]).toEqual([...BREAKDOWN_TABLE_HEADER]);
    for (const row of rows) expect(row).toHaveLength(7);
    expect(toCsv(rows)).not.toContain('related_party');
  });

  it('adds related_party, the party id of each line paid to one, to a breakdown with related parties', () => {
    const breakdown = price(example('wirral-related-parties-2026-27'));
    const rows = breakdownRows(breakdown);
    expect(rows[0]).toEqual([...BREAKDOWN_TABLE_HEADER, 'related_party']);
    for (const row of rows) expect(row).toHaveLength(8);
    const cell = (code: string, description?: string) =>
      rows.find((row) => row[0] === code && (description === undefined || row[2] === description))?.[7];
    expect(cell('PROPERTY_LEASE')).toBe('jpl');
    expect(cell('RUNNING_EDUCATION', 'Tutoring')).toBe('edu');
    expect(cell('RUNNING_EDUCATION', 'Education support')).toBe('');
    expect(cell('CENTRAL_OVERHEAD')).toBe('grp');
    expect(cell('SURPLUS')).toBe('');
    expect(rows.at(-1)).toEqual([
      'TOTAL',
      '',
      'Weekly fee per child',
      breakdown.totals.annualAmount,
      breakdown.weeklyFeePerChild,
      breakdown.totals.shareOfFee,
      '',
      '',
    ]);
    // the first seven columns are those of the same lines without the column
    expect(rows.map((row) => row.slice(0, 7))).toEqual(
      breakdownRows({ ...breakdown, relatedParties: undefined }).map((row) => row.slice(0, 7)),
    );
  });

  it('joins several parties of one line with ";", and a list that names none still has the column', () => {
    const model = example('wirral-related-parties-2026-27');
    const central = model.central as Json;
    central.relatedPartyCharges = [
      ...(central.relatedPartyCharges as Json[]),
      {
        relatedPartyId: 'jpl',
        description: 'Head office rent',
        amountAnnual: '20000',
        marketAmountAnnual: '20000',
        marketEvidence: 'Lease valuation',
      },
    ];
    const rows = breakdownRows(price(model));
    expect(rows.find((row) => row[0] === 'CENTRAL_OVERHEAD')?.[7]).toBe('grp;jpl');
    expect(toCsv(rows)).toContain(',"grp;jpl"\r\n');

    const none = example('wirral-four-bed-2026-27');
    none.relatedParties = [];
    const empty = breakdownRows(price(none));
    expect(empty[0]?.at(-1)).toBe('related_party');
    for (const row of empty.slice(1)) expect(row.at(-1)).toBe('');
  });
});
