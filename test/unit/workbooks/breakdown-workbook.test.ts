import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { costModelSchema, priceCostModel } from '../../../src/domain/pricing/index.js';
import { planBreakdownWorkbook } from '../../../src/formats/breakdown-workbook.js';
import { planReader, publishedFigures, workbookFigures } from '../../helpers/live-workbook.js';
import { modelArb, relatedModelArb } from '../../helpers/model-arbitrary.js';

const examplesDir = new URL('../../../fixtures/examples/', import.meta.url);
const EXAMPLES = ['wirral-four-bed-2026-27', 'halton-three-bed-2025-26', 'wirral-related-parties-2026-27'];
const about = { title: 'Test', summary: 'A test.', facts: [], asOf: '2026-04-01' };

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(fileURLToPath(new URL(file, examplesDir)), 'utf8')) as Record<
    string,
    unknown
  >;
}

describe('a breakdown as a live workbook: its formulas, worked out exactly', () => {
  it.each(EXAMPLES)('%s: every published figure is what the formulas give', (example) => {
    const model = readJson(`${example}.model.json`);
    const breakdown = priceCostModel(costModelSchema.parse(model));
    const plan = planBreakdownWorkbook(model, breakdown, about);
    expect(workbookFigures(planReader(plan))).toEqual(publishedFigures(breakdown));
  });
});

describe('a breakdown as a live workbook: generated models', () => {
  const check = (input: Record<string, unknown>) => {
    const model = costModelSchema.parse(input);
    let breakdown: ReturnType<typeof priceCostModel>;
    try {
      breakdown = priceCostModel(model);
    } catch (error) {
      if (error instanceof DomainValidationError) return; // a §6 model above its cap is refused
      throw error;
    }
    const plan = planBreakdownWorkbook(input, breakdown, about);
    expect(workbookFigures(planReader(plan))).toEqual(publishedFigures(breakdown));
  };

  it('the formulas give every published figure, to the penny (300 models)', () => {
    fc.assert(fc.property(modelArb, check), { numRuns: 300, seed: 22 });
  });

  it('and for models paying related parties (§6, 200 models)', () => {
    fc.assert(fc.property(relatedModelArb, check), { numRuns: 200, seed: 23 });
  });
});
