import { toCsv } from '../../formats/csv.js';
import { safeSheetName } from '../../formats/spreadsheet.js';
import {
  type CellKind,
  cellValue,
  loadExcel,
  numFmtOf,
  POUNDS_FORMAT,
  reproducibleBytes,
} from '../../formats/xlsx.js';
import type { CouncilReconciliationStatement } from './schemas.js';
import type { FrozenReconciliation } from './service.js';

/**
 * The provider figures a statement repeats; rule 1 documents lack what rule 2 added, rule 1 and 2
 * documents what rule 3 added (then null).
 */
interface StoredFigures {
  income: string;
  actualCost: string;
  realisedSurplus: string;
  realisedRateOnCost: string | null;
  relatedPartyExcess?: string;
  adjustedSurplus?: string;
  adjustedCost?: string;
  capRate: string;
  capScope?: 'organisation' | 'home';
  status?: string;
  allowedSurplus: string | null;
  excess: string | null;
  outcome: string;
  rule: string;
  incomeByCouncil: Array<{ councilCode: string; amount: string }>;
  rebates: Array<{ councilCode: string; charged: string; share: string; rebate: string }>;
  homes?: Array<{
    homeId: string;
    incomeByCouncil: Array<{ councilCode: string; amount: string }>;
    rebates: Array<{ councilCode: string; rebate: string }>;
    excess: string | null;
  }>;
}

export type { CouncilReconciliationStatement };

/** One council's part of a frozen reconciliation, with the provider-level figures it rests on. */
export function councilStatementOf(
  frozen: FrozenReconciliation,
  councilCode: string,
): CouncilReconciliationStatement | undefined {
  // Stored documents of every rule version: those frozen under rules 1 and 2 lack members the current
  // Settlement type requires, so the document is read as what any of them holds.
  const r = frozen.reconciliation as unknown as StoredFigures;
  const charged = r.incomeByCouncil.find((line) => line.councilCode === councilCode);
  if (!charged) return undefined;
  const rebate = r.rebates.find((line) => line.councilCode === councilCode);
  const homes = (r.homes ?? []).flatMap((home) => {
    const paid = home.incomeByCouncil.find((line) => line.councilCode === councilCode);
    if (!paid) return [];
    const owed = home.rebates.find((line) => line.councilCode === councilCode);
    return [
      {
        homeId: home.homeId,
        charged: paid.amount,
        rebate: home.excess === null ? null : (owed?.rebate ?? '0.00'),
      },
    ];
  });
  return {
    reconciliationId: frozen.id,
    organisationId: frozen.organisationId,
    homeId: frozen.homeId,
    period: frozen.period,
    ruleVersion: frozen.ruleVersion,
    supersededBy: frozen.supersededBy,
    councilCode,
    charged: charged.amount,
    share: rebate?.share ?? '0.000000',
    rebate: rebate?.rebate ?? '0.00',
    homes,
    provider: {
      income: r.income,
      actualCost: r.actualCost,
      realisedSurplus: r.realisedSurplus,
      realisedRateOnCost: r.realisedRateOnCost,
      relatedPartyExcess: r.relatedPartyExcess ?? null,
      adjustedSurplus: r.adjustedSurplus ?? null,
      adjustedCost: r.adjustedCost ?? null,
      capRate: r.capRate,
      capScope: r.capScope ?? null,
      status: r.status ?? null,
      allowedSurplus: r.allowedSurplus,
      excess: r.excess,
      outcome: r.outcome,
    },
    rule: r.rule,
    hash: frozen.hash,
    keyId: frozen.keyId,
  };
}

/** An item of the statement, its value (null: none) and what the value is (src/formats/xlsx.ts). */
type Row = [item: string, value: string | null, kind: CellKind];

/**
 * The statement's items. The CSV has the period as one item, `start to end`; the workbook as two real
 * dates (`format` 'xlsx'), so that a spreadsheet can compare and filter them.
 */
const rows = (s: CouncilReconciliationStatement, format: 'csv' | 'xlsx' = 'csv'): Row[] => [
  ['Council', s.councilCode, 'text'],
  ...(format === 'csv'
    ? ([['Period', `${s.period.start} to ${s.period.end}`, 'text']] as Row[])
    : ([
        ['Period from', s.period.start, 'date'],
        ['Period to', s.period.end, 'date'],
      ] as Row[])),
  ['Settlement rule version', String(s.ruleVersion), 'integer'],
  ['Superseded by', s.supersededBy ?? 'not superseded', 'text'],
  ['Charged to the council', s.charged, 'money'],
  ['Share of the excess', s.share, 'percent'],
  ['Rebate due to the council', s.rebate, 'money'],
  ...s.homes.flatMap((home): Row[] => [
    [`Charged by home ${home.homeId}`, home.charged, 'money'],
    ...(home.rebate === null ? [] : [[`Rebate due from home ${home.homeId}`, home.rebate, 'money'] as Row]),
  ]),
  ['Cap tested on', s.provider.capScope ?? 'each reconciliation (rule 1)', 'text'],
  ['Provider income', s.provider.income, 'money'],
  ['Provider actual cost', s.provider.actualCost, 'money'],
  ['Realised surplus', s.provider.realisedSurplus, 'money'],
  // method §7: shown only when something was paid to a related party above market
  ...(s.provider.relatedPartyExcess === null || s.provider.relatedPartyExcess === '0.00'
    ? []
    : ([
        ['Paid to related parties above market (counted as surplus)', s.provider.relatedPartyExcess, 'money'],
        ['Adjusted cost (actual cost less that excess)', s.provider.adjustedCost, 'money'],
        ['Adjusted surplus (the surplus the cap is tested on)', s.provider.adjustedSurplus, 'money'],
      ] as Row[])),
  ['Surplus cap (on cost)', s.provider.capRate, 'percent'],
  ['Allowed surplus', s.provider.allowedSurplus, 'money'],
  ['Excess returned to councils', s.provider.excess, 'money'],
  ['Outcome', s.provider.outcome, 'text'],
  ['Reconciliation hash (SHA-256)', s.hash, 'text'],
];

export function councilStatementCsv(statement: CouncilReconciliationStatement): string {
  return toCsv([['item', 'value'], ...rows(statement).map(([item, value]) => [item, value ?? ''])]);
}

/**
 * The statement as a workbook of item and value rows, each value as its kind: money as £, the share
 * and the cap as percentages, the period's first and last days as dates, the rule version as an
 * integer, codes, the hash and words as text.
 */
export async function councilStatementXlsx(statement: CouncilReconciliationStatement): Promise<Buffer> {
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(safeSheetName('Reconciliation', new Set()));
  sheet.columns = [
    { header: 'Item', key: 'item', width: 46 },
    { header: 'Value', key: 'value', width: 70 },
  ];
  sheet.getRow(1).font = { bold: true };
  for (const [item, value, kind] of rows(statement, 'xlsx')) {
    const row = sheet.addRow({ item, value: cellValue(kind, value) });
    const numFmt = numFmtOf(kind, POUNDS_FORMAT);
    if (numFmt) row.getCell(2).numFmt = numFmt;
  }
  sheet.addRow([]);
  sheet.addRow([statement.rule]);
  return reproducibleBytes(workbook, statement.period.end);
}
