import { safeCell, toCsv } from '../../http/csv.js';
import { loadExcel } from '../../http/xlsx.js';
import type { FrozenReconciliation } from './service.js';

interface ReconciliationFigures {
  income: string;
  actualCost: string;
  realisedSurplus: string;
  realisedRateOnCost: string | null;
  capRate: string;
  allowedSurplus: string;
  excess: string;
  outcome: string;
  rule: string;
  incomeByCouncil: Array<{ councilCode: string; amount: string }>;
  rebates: Array<{ councilCode: string; charged: string; share: string; rebate: string }>;
}

export interface CouncilReconciliationStatement {
  reconciliationId: string;
  organisationId: string;
  homeId: string | null;
  period: { start: string; end: string };
  councilCode: string;
  charged: string;
  share: string;
  rebate: string;
  provider: Omit<ReconciliationFigures, 'incomeByCouncil' | 'rebates' | 'rule'>;
  rule: string;
  hash: string;
  keyId: string;
}

/** One council's part of a frozen reconciliation, with the provider-level figures it rests on. */
export function councilStatementOf(
  frozen: FrozenReconciliation,
  councilCode: string,
): CouncilReconciliationStatement | undefined {
  const r = frozen.reconciliation as unknown as ReconciliationFigures;
  const charged = r.incomeByCouncil.find((line) => line.councilCode === councilCode);
  if (!charged) return undefined;
  const rebate = r.rebates.find((line) => line.councilCode === councilCode);
  return {
    reconciliationId: frozen.id,
    organisationId: frozen.organisationId,
    homeId: frozen.homeId,
    period: frozen.period,
    councilCode,
    charged: charged.amount,
    share: rebate?.share ?? '0.000000',
    rebate: rebate?.rebate ?? '0.00',
    provider: {
      income: r.income,
      actualCost: r.actualCost,
      realisedSurplus: r.realisedSurplus,
      realisedRateOnCost: r.realisedRateOnCost,
      capRate: r.capRate,
      allowedSurplus: r.allowedSurplus,
      excess: r.excess,
      outcome: r.outcome,
    },
    rule: r.rule,
    hash: frozen.hash,
    keyId: frozen.keyId,
  };
}

const rows = (s: CouncilReconciliationStatement): Array<[string, string]> => [
  ['Council', s.councilCode],
  ['Period', `${s.period.start} to ${s.period.end}`],
  ['Charged to the council', s.charged],
  ["Share of the provider's income", s.share],
  ['Rebate due to the council', s.rebate],
  ['Provider income', s.provider.income],
  ['Provider actual cost', s.provider.actualCost],
  ['Realised surplus', s.provider.realisedSurplus],
  ['Surplus cap (on cost)', s.provider.capRate],
  ['Allowed surplus', s.provider.allowedSurplus],
  ['Excess returned to councils', s.provider.excess],
  ['Outcome', s.provider.outcome],
  ['Reconciliation hash (SHA-256)', s.hash],
];

export function councilStatementCsv(statement: CouncilReconciliationStatement): string {
  return toCsv([['item', 'value'], ...rows(statement)]);
}

const MONEY_ROWS = new Set([
  'Charged to the council',
  'Rebate due to the council',
  'Provider income',
  'Provider actual cost',
  'Realised surplus',
  'Allowed surplus',
  'Excess returned to councils',
]);

export async function councilStatementXlsx(statement: CouncilReconciliationStatement): Promise<Buffer> {
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Reconciliation');
  sheet.columns = [
    { header: 'Item', key: 'item', width: 36 },
    { header: 'Value', key: 'value', width: 70 },
  ];
  sheet.getRow(1).font = { bold: true };
  for (const [item, value] of rows(statement)) {
    const row = sheet.addRow({ item, value: MONEY_ROWS.has(item) ? Number(value) : safeCell(value) });
    if (MONEY_ROWS.has(item)) row.getCell(2).numFmt = '"£"#,##0.00';
  }
  sheet.addRow([]);
  sheet.addRow([statement.rule]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
