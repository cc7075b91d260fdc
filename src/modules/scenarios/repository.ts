import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, ScenariosTable } from '../../db/schema.js';
import type { ScenarioSpec } from '../../domain/scenarios/index.js';

type Db = Kysely<Database> | Transaction<Database>;

export type ScenarioRow = Selectable<ScenariosTable>;

export async function insertScenario(
  db: Db,
  scenario: {
    organisationId: string;
    costModelId: string;
    name: string;
    spec: ScenarioSpec;
    savedAgainstVersion: number;
    actor: string;
  },
): Promise<ScenarioRow> {
  return db
    .insertInto('scenarios')
    .values({
      organisation_id: scenario.organisationId,
      cost_model_id: scenario.costModelId,
      name: scenario.name,
      spec: JSON.stringify(scenario.spec),
      saved_against_version: scenario.savedAgainstVersion,
      created_by: scenario.actor,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findScenario(db: Db, id: string): Promise<ScenarioRow | undefined> {
  return db.selectFrom('scenarios').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A draft's saved scenarios, oldest first. */
export async function scenariosOf(db: Db, costModelId: string): Promise<ScenarioRow[]> {
  return db
    .selectFrom('scenarios')
    .selectAll()
    .where('cost_model_id', '=', costModelId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(500)
    .execute();
}
