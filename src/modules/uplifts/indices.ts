import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { IndexValue } from '../../domain/uplifts/index.js';
import { projectPath } from '../../paths.js';

const statutorySchema = z.object({
  series: z.literal('NLW'),
  source: z.string().min(1),
  sourceUrl: z.url(),
  values: z
    .array(
      z.object({
        date: z.iso.date(),
        value: z.string().regex(/^\d{1,3}\.\d{2}$/),
        ageFrom: z.number().int(),
      }),
    )
    .min(1),
});

let statutory: readonly IndexValue[] | undefined;

/**
 * The statutory National Living Wage history shipped in fixtures/indices/, read and checked once: a
 * malformed file stops the service at start-up rather than mis-stating an uplift later.
 */
export function nationalLivingWage(): readonly IndexValue[] {
  if (statutory) return statutory;
  const file = 'national-living-wage.json';
  const parsed = statutorySchema.safeParse(
    JSON.parse(readFileSync(projectPath('fixtures', 'indices', file), 'utf8')),
  );
  if (!parsed.success) throw new Error(`fixtures/indices/${file} is not valid: ${parsed.error.message}`);
  const { source, sourceUrl, values } = parsed.data;
  statutory = values.map((value) => ({
    series: 'NLW',
    date: value.date,
    value: value.value,
    source,
    sourceUrl,
  }));
  return statutory;
}
