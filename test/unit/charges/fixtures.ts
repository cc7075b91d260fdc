import { readFileSync } from 'node:fs';
import type {
  ChargeEnhancement,
  ChargePlacement,
  ChargeSchedule,
} from '../../../src/domain/charges/index.js';
import { type CostModel, costModelSchema } from '../../../src/domain/pricing/index.js';

// The Wirral example of fixtures/examples is the frozen model of every schedule in these tests:
// its weekly fee is £5,495.78 and 25 extra hours of its rcw line are charged £617.80 a week.
const examplesDir = new URL('../../../fixtures/examples/', import.meta.url);

export const wirral: CostModel = costModelSchema.parse(
  JSON.parse(readFileSync(new URL('wirral-four-bed-2026-27.model.json', examplesDir), 'utf8')),
);

export function schedule(overrides: Partial<ChargeSchedule> & { id: string }): ChargeSchedule {
  return {
    homeId: 'home-1',
    version: 1,
    periodLabel: '2026-27',
    effectiveFrom: '2026-04-01',
    publishedAt: '2026-03-01T09:00:00Z',
    weeklyFeePerChild: '5495.78',
    model: wirral,
    ...overrides,
  };
}

export function placement(overrides: Partial<ChargePlacement> & { id: string }): ChargePlacement {
  return {
    homeId: 'home-1',
    councilCode: 'E08000015',
    reference: `REF-${overrides.id}`,
    start: '2026-04-01',
    end: null,
    enhancements: [],
    ...overrides,
  };
}

export function enhancement(overrides: Partial<ChargeEnhancement> & { id: string }): ChargeEnhancement {
  return {
    description: '1:1 support during school hours',
    roleId: 'rcw',
    hoursPerWeek: '25',
    start: '2026-04-01',
    end: null,
    ...overrides,
  };
}
