import { toCsv } from '../../formats/csv.js';
import type { PlacementCosts } from './schemas.js';

/** The standard's actualPlacement fields, as the CSV's headers name them (the JSON's names). */
export const STANDARD_FIELDS = [
  'providerURN',
  'placementType',
  'placementStartDate',
  'placementSource',
  'coreWeeklyCost',
  'additionalSupportWeeklyCost',
  'educationWeeklyCost',
  'otherWeeklyCost',
  'totalWeeklyCost',
] as const;

export const CSV_HEADER = [
  'councilCode',
  'placementId',
  'reference',
  'homeId',
  'homeName',
  'from',
  'to',
  'days',
  'heldOver',
  'feeScheduleId',
  'feeScheduleVersion',
  'weeklyFeePerChild',
  'enhancements',
  ...STANDARD_FIELDS,
  'notPriced',
];

/**
 * One row per record (a span of a placement), then one per unpriced run, as RFC 4180 CSV. The
 * standard's fields keep its names; null is an empty cell. Enhancements are `description [id] weekly
 * charge`, separated by `; `. `notPriced` is empty on a record, and on an unpriced run says what is
 * not priced and why (`fee: no_schedule`, `enhancement <id>: unknown_role`); its costs are empty.
 */
export function placementCostsCsv(costs: PlacementCosts): string {
  const records = costs.records.map((record) => {
    const standard = record.actualPlacement;
    return [
      costs.council.onsCode,
      record.placementId,
      record.reference,
      record.homeId,
      record.homeName,
      record.from,
      record.to,
      String(record.days),
      String(record.heldOver),
      record.feeSchedule.id,
      String(record.feeSchedule.version),
      record.feeSchedule.weeklyFeePerChild,
      record.enhancements.map((e) => `${e.description} [${e.id}] ${e.weeklyCharge}`).join('; '),
      ...STANDARD_FIELDS.map((field) => standard[field] ?? ''),
      '',
    ];
  });
  const unpriced = costs.unpriced.map((run) => [
    costs.council.onsCode,
    run.placementId,
    run.reference,
    run.homeId,
    run.homeName,
    run.from,
    run.to,
    String(run.days),
    ...Array<string>(5 + STANDARD_FIELDS.length).fill(''),
    `${run.kind === 'fee' ? 'fee' : `enhancement ${run.enhancementId ?? ''}`}: ${run.reason}`,
  ]);
  return toCsv([CSV_HEADER, ...records, ...unpriced]);
}
