import type { Migration } from 'kysely';
import * as m0001 from './0001_init.js';
import * as m0002 from './0002_access_control.js';
import * as m0003 from './0003_homes_and_fee_schedules.js';
import * as m0004 from './0004_placements.js';
import * as m0005 from './0005_fee_schedule_proofs.js';
import * as m0006 from './0006_actuals.js';
import * as m0007 from './0007_reconciliations.js';
import * as m0008 from './0008_settlement.js';
import * as m0009 from './0009_actuals_pending.js';
import * as m0010 from './0010_related_parties.js';
import * as m0011 from './0011_uplifts.js';
import * as m0012 from './0012_scenarios.js';

/**
 * Every migration, in order. A static list because kysely's FileMigrationProvider cannot import
 * .ts files under vitest. Forward only: a released migration is never edited, only followed.
 */
export const migrations: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_access_control': m0002,
  '0003_homes_and_fee_schedules': m0003,
  '0004_placements': m0004,
  '0005_fee_schedule_proofs': m0005,
  '0006_actuals': m0006,
  '0007_reconciliations': m0007,
  '0008_settlement': m0008,
  '0009_actuals_pending': m0009,
  '0010_related_parties': m0010,
  '0011_uplifts': m0011,
  '0012_scenarios': m0012,
};
