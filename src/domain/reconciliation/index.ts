// Variance: the budget a home's fees were built on against what it really spent, by code (pure).
//
// For every code in the budget or the actuals, in the closed list's order: difference = actual −
// budget, and percentage = difference ÷ |budget| × 100, half-up (away from zero) to 2 dp (positive
// means over budget), null when the budget is zero. What is owed at the year's end is not worked out
// here but by the settlement (src/domain/settlement, method §7).

import { DomainValidationError, type FieldIssue } from '../errors.js';
import { formatPennies, percentChange } from '../money.js';
import {
  byCodeOrder,
  type CostCategory,
  type CostCode,
  categoryOfCost,
  costsByCode,
} from '../settlement/index.js';

export interface VarianceLine {
  code: CostCode;
  category: CostCategory;
  budget: string;
  actual: string;
  /** actual − budget: positive is an overspend against budget. */
  difference: string;
  /** difference ÷ |budget| × 100, 2 dp; null when the budget is zero. */
  percentage: string | null;
}

/** Budget against actuals by code. Throws DomainValidationError for a bad code or amount. */
export function varianceByCode(
  budget: ReadonlyArray<{ code: string; amount: string }>,
  actualCosts: ReadonlyArray<{ code: string; amount: string }>,
): VarianceLine[] {
  const issues: FieldIssue[] = [];
  const budgetByCode = costsByCode(budget, '/budget', issues);
  const actualByCode = costsByCode(actualCosts, '/actualCosts', issues);
  if (issues.length > 0) throw new DomainValidationError(issues);
  const codes = [...new Set<CostCode>([...budgetByCode.keys(), ...actualByCode.keys()])].sort(byCodeOrder);
  return codes.map((code) => {
    const planned = budgetByCode.get(code) ?? 0n;
    const actual = actualByCode.get(code) ?? 0n;
    const difference = actual - planned;
    return {
      code,
      category: categoryOfCost(code),
      budget: formatPennies(planned),
      actual: formatPennies(actual),
      difference: formatPennies(difference),
      percentage: percentChange(difference, planned),
    };
  });
}
