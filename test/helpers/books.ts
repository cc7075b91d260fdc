import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { adminAuth } from './app.js';
import { bearer, createKey, createOrganisation } from './keys.js';

/** A worked example of the method, from the project's own fixtures. */
export function exampleModel(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/examples/${name}.model.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

/**
 * Method v2 §6: adds the related parties a model lists to the organisation's register (reference =
 * the model's party id, related from 2000-01-01), skipping those already there. Returns their ids.
 */
export async function registerModelParties(
  app: FastifyInstance,
  headers: Record<string, string>,
  /** Left out, a finance key's own organisation. */
  organisationId: string | undefined,
  model: Record<string, unknown>,
): Promise<string[]> {
  const parties = (model.relatedParties ?? []) as Array<{
    id: string;
    name: string;
    companiesHouseNumber?: string;
    relationship: string;
  }>;
  const ids: string[] = [];
  for (const party of parties) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/related-parties',
      headers,
      payload: {
        ...(organisationId === undefined ? {} : { organisationId }),
        reference: party.id,
        name: party.name,
        ...(party.companiesHouseNumber === undefined
          ? {}
          : { companiesHouseNumber: party.companiesHouseNumber }),
        relationship: party.relationship,
        description: `${party.name}, paid under the cost model`,
        from: '2000-01-01',
      },
    });
    if (response.statusCode === 201) ids.push(response.json().id);
    else if (response.statusCode !== 409) throw new Error(`could not register ${party.id}: ${response.body}`);
  }
  return ids;
}

export interface PlacementPlan {
  councilCode: string;
  reference: string;
  start: string;
  end: string | null;
}

/** A month of actual spending: rows by code, or `nil` for a month with no spending. */
export type MonthPlan =
  | { month: string; rows: Array<{ code: string; amount: string }> }
  | { month: string; nil: true };

export interface HomePlan {
  name: string;
  /** The cost model to publish (default: the Wirral four-bed example, 2026-27) and from when. */
  model?: Record<string, unknown>;
  effectiveFrom?: string;
  openedOn?: string;
  placements?: PlacementPlan[];
  actuals?: MonthPlan[];
}

export interface SeededProvider {
  organisationId: string;
  /** Authorization header of the provider's finance key. */
  finance: Record<string, string>;
  homeIds: string[];
}

async function expectStatus(app: FastifyInstance, options: InjectOptions, status: number) {
  const response = await app.inject(options);
  if (response.statusCode !== status) {
    throw new Error(`${JSON.stringify(options).slice(0, 200)} → ${response.statusCode}: ${response.body}`);
  }
  return response;
}

/** The months from `from` to `to` (YYYY-MM, both included). */
export function monthsOf(from: string, to: string): string[] {
  const months: string[] = [];
  for (let [year, month] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))]; ; month += 1) {
    if (month === 13) [year, month] = [year + 1, 1];
    const label = `${year}-${String(month).padStart(2, '0')}`;
    if (label > to) return months;
    months.push(label);
  }
}

/** Imports a home's actuals (one import for all the months planned). */
export async function importActuals(
  app: FastifyInstance,
  finance: Record<string, string>,
  homeId: string,
  months: readonly MonthPlan[],
  idempotencyKey = `actuals-${homeId}-${randomUUID().slice(0, 8)}`,
) {
  const rows = months.flatMap((plan) =>
    'nil' in plan
      ? [{ month: plan.month, code: 'NIL' }]
      : plan.rows.map((row) => ({ month: plan.month, ...row })),
  );
  return expectStatus(
    app,
    {
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...finance, 'idempotency-key': idempotencyKey },
      payload: { rows },
    },
    201,
  );
}

/**
 * A provider set up through the API as its finance team would: the organisation (with its cap scope),
 * a finance key, each home with a published fee schedule, its placements and its actuals.
 */
export async function seedProvider(
  app: FastifyInstance,
  plan: { name?: string; capScope?: 'organisation' | 'home'; homes: HomePlan[] },
): Promise<SeededProvider> {
  const organisationId = await createOrganisation(app, plan.name ?? 'Open Book CIC');
  if (plan.capScope && plan.capScope !== 'organisation') {
    await expectStatus(
      app,
      {
        method: 'PATCH',
        url: `/v1/organisations/${organisationId}`,
        headers: adminAuth,
        payload: { capScope: plan.capScope },
      },
      200,
    );
  }
  const finance = bearer((await createKey(app, { role: 'finance', organisationId })).key);
  const homeIds: string[] = [];
  for (const home of plan.homes) {
    const created = await expectStatus(
      app,
      {
        method: 'POST',
        url: '/v1/homes',
        headers: finance,
        payload: {
          name: home.name,
          hostCouncil: 'E08000015',
          registeredPlaces: 4,
          openedOn: home.openedOn ?? '2020-01-01',
        },
      },
      201,
    );
    const homeId: string = created.json().id;
    homeIds.push(homeId);
    const model = home.model ?? exampleModel('wirral-four-bed-2026-27');
    await registerModelParties(app, finance, organisationId, model);
    const draft = await expectStatus(
      app,
      {
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: finance,
        payload: model,
      },
      201,
    );
    await expectStatus(
      app,
      {
        method: 'POST',
        url: `/v1/cost-models/${draft.json().id}/publish`,
        headers: { ...finance, 'idempotency-key': `publish-${homeId}` },
        payload: { effectiveFrom: home.effectiveFrom ?? '2026-04-01' },
      },
      201,
    );
    for (const placement of home.placements ?? []) {
      await expectStatus(
        app,
        {
          method: 'POST',
          url: '/v1/placements',
          headers: finance,
          payload: { homeId, ...placement, ...(placement.end === null ? { end: undefined } : {}) },
        },
        201,
      );
    }
    if (home.actuals?.length) await importActuals(app, finance, homeId, home.actuals);
  }
  return { organisationId, finance, homeIds };
}

/** The Wirral example with `lines` staffing lines: its five repeated, each with an id and role of its own. */
export function withStaffingLines(lines: number): Record<string, unknown> {
  const wirral = exampleModel('wirral-four-bed-2026-27');
  const staffing = wirral.staffing as Record<string, unknown>[];
  return {
    ...wirral,
    staffing: Array.from({ length: lines }, (_, i) => ({
      ...staffing[i % staffing.length]!,
      id: i < staffing.length ? staffing[i]!.id : `line-${i}`,
      role: `${String(staffing[i % staffing.length]!.role)} ${i + 1}`,
    })),
  };
}
