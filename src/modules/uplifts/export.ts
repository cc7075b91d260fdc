import type { UpliftNoticeDocument, UpliftResult } from '../../domain/uplifts/index.js';
import { INDEX_NAMES } from '../../domain/uplifts/index.js';
import { toCsv } from '../../formats/csv.js';

const HEADER = ['section', 'item', 'detail', 'value', 'source'] as const;

function upliftRows(uplift: UpliftResult): string[][] {
  const rows: string[][] = [];
  const terms = (list: UpliftResult['terms'], label: string) => {
    for (const term of list) {
      rows.push([
        'framework',
        `${label} term`,
        `${uplift.on} ${INDEX_NAMES[term.index]} × ${term.weight}`,
        term.contribution ?? '',
        '',
      ]);
      for (const figure of term.figures) {
        rows.push([
          'framework',
          'index figure',
          `${figure.series} ${figure.role} ${figure.date}`,
          figure.value,
          `${figure.source} ${figure.sourceUrl}`,
        ]);
      }
    }
  };
  terms(uplift.terms, 'weighted sum');
  for (const [index, alternative] of uplift.alternatives.entries())
    terms(alternative.terms, `lower-of ${index + 1}`);
  rows.push(['framework', 'uplift rate', uplift.on, uplift.rate ?? '', uplift.missing.join('; ')]);
  return rows;
}

/** A notice as CSV: one row per figure, in the order of the printed notice (section, item, detail, value, source). */
export function noticeCsv(notice: UpliftNoticeDocument, proof: { hash: string; keyId: string }): string {
  const { comparison } = notice;
  const rows: string[][] = [
    ['notice', 'id', '', notice.id, ''],
    ['notice', 'council', notice.council.name, notice.council.onsCode, ''],
    ['notice', 'provider', notice.organisation.name, notice.organisation.id, ''],
    ['notice', 'home', notice.home.name, notice.home.ofstedUrn ?? '', ''],
    ['notice', 'issued on', '', notice.issuedOn, ''],
    ['notice', 'applies from', `notice days ${notice.noticeDays ?? 'none recorded'}`, notice.appliesFrom, ''],
    ['notice', 'sha-256', `key ${proof.keyId}`, proof.hash, ''],
    [
      'comparison',
      'old fee',
      `version ${notice.previousSchedule.version} from ${notice.previousSchedule.effectiveFrom}`,
      comparison.oldFee,
      '',
    ],
    [
      'comparison',
      'framework fee',
      notice.framework?.name ?? 'no formula recorded',
      comparison.frameworkFee ?? '',
      '',
    ],
    [
      'comparison',
      'new fee',
      `version ${notice.newSchedule.version} from ${notice.newSchedule.effectiveFrom}`,
      comparison.newFee,
      '',
    ],
    [
      'comparison',
      'cost-plus change',
      `${comparison.costPlusPercentage ?? ''}%`,
      comparison.costPlusChange,
      '',
    ],
    [
      'comparison',
      'framework change',
      `${notice.framework?.percentage ?? ''}%`,
      comparison.frameworkChange ?? '',
      '',
    ],
    ['comparison', 'new fee less framework fee', '', comparison.newFeeLessFrameworkFee ?? '', ''],
    ...(notice.framework?.uplifts.flatMap(upliftRows) ?? []),
    ...notice.causes.map((cause) => ['cause', cause.section, cause.description, cause.effectOnWeeklyFee, '']),
    ...notice.placements.map((placement) => [
      'placement',
      'reference',
      placement.id,
      placement.reference,
      '',
    ]),
  ];
  return toCsv([[...HEADER], ...rows]);
}
