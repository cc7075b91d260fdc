import { readFileSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';

/**
 * The authorisation matrix: every route × every caller × own/foreign tenant. The rows are checked
 * against the app's route table, so a route added without a row here fails this test.
 */
type Caller = 'anonymous' | 'admin' | 'finance' | 'commissioner' | 'regulator';
type Tenant = 'own' | 'foreign';
const callers: Caller[] = ['anonymous', 'admin', 'finance', 'commissioner', 'regulator'];

interface TenantFixtures {
  organisationId: string;
  homeId: string;
  costModelId: string;
  scheduleId: string;
  /** The own tenant's placements are for the commissioner's council (Wirral), the foreign one's for Sefton. */
  councilCode: string;
  placementId: string;
  newPlacement: () => Promise<string>;
  reconciliationId: string;
  /** A party in the organisation's register of related parties. */
  relatedPartyId: string;
  /** The uplift notice its council was given when the home's fee moved on 1 October 2026. */
  noticeId: string;
  /** A scenario saved on the draft. */
  scenarioId: string;
}

interface Context {
  own: TenantFixtures;
  foreign: TenantFixtures;
  victimKeyId: () => Promise<string>;
  /** The draft's current ETag, read as the admin: what a caller sends as If-Match. */
  draftTag: (tenant: Tenant) => Promise<string>;
  /** The related party's current ETag, read as the admin. */
  partyTag: (tenant: Tenant) => Promise<string>;
}

interface Row {
  /** Whether the route reads or writes one tenant's data (then it is tried for own and foreign). */
  tenanted?: boolean;
  request: (ctx: Context, tenant: Tenant) => Promise<InjectOptions> | InjectOptions;
  /** Expected status per caller; a pair where own and foreign differ. */
  expect: Record<Caller, number | { own: number; foreign: number }>;
}

const wirral = readFileSync(
  new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
  'utf8',
);
const everyone = (status: number): Row['expect'] => ({
  anonymous: status,
  admin: status,
  finance: status,
  commissioner: status,
  regulator: status,
});
const onlyAdmin = (status: number): Row['expect'] => ({
  anonymous: 401,
  admin: status,
  finance: 403,
  commissioner: 403,
  regulator: 403,
});
let organisationCounter = 0;
let councilCounter = 0;
let requestCounter = 0;
const wirralModel = JSON.parse(wirral);
const financeWrites = (own: number, foreign: number): Row['expect'] => ({
  anonymous: 401,
  admin: own,
  finance: { own, foreign },
  commissioner: 403,
  regulator: 403,
});
const tenantRead = (status: number): Row['expect'] => ({
  anonymous: 401,
  admin: status,
  finance: { own: status, foreign: 404 },
  commissioner: status,
  regulator: status,
});
const published = (status: number): Row['expect'] => ({
  anonymous: status,
  admin: status,
  finance: { own: status, foreign: 404 },
  commissioner: status,
  regulator: status,
});
const pool = {
  period: { label: '2026-27', start: '2026-04-01', end: '2027-03-31' },
  basis: 'places',
  lines: [{ code: 'LEADERSHIP', description: 'Leadership', amount: '100000' }],
};

const rows: Record<string, Row> = {
  'GET /health/live': { request: () => ({ url: '/health/live' }), expect: everyone(200) },
  'GET /health/ready': { request: () => ({ url: '/health/ready' }), expect: everyone(200) },
  'GET /openapi.json': { request: () => ({ url: '/openapi.json' }), expect: everyone(200) },
  'GET /favicon.ico': { request: () => ({ url: '/favicon.ico' }), expect: everyone(200) },
  'GET /v1/rates': { request: () => ({ url: '/v1/rates' }), expect: everyone(200) },
  'GET /v1/rates/:taxYear': { request: () => ({ url: '/v1/rates/2026-27' }), expect: everyone(200) },
  'POST /v1/quotes': {
    request: () => ({
      method: 'POST',
      url: '/v1/quotes',
      headers: { 'content-type': 'application/json' },
      payload: wirral,
    }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 200, regulator: 200 },
  },
  'POST /v1/organisations': {
    request: () => ({
      method: 'POST',
      url: '/v1/organisations',
      payload: { name: `Matrix CIC ${++organisationCounter}`, legalForm: 'community_interest_company' },
    }),
    expect: onlyAdmin(201),
  },
  'GET /v1/organisations': {
    request: () => ({ url: '/v1/organisations' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 200, regulator: 200 },
  },
  'GET /v1/organisations/:id': {
    tenanted: true,
    request: (ctx, tenant) => ({ url: `/v1/organisations/${ctx[tenant].organisationId}` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 200,
      regulator: 200,
    },
  },
  'PATCH /v1/organisations/:id': {
    tenanted: true,
    request: (ctx, tenant) => ({
      method: 'PATCH',
      url: `/v1/organisations/${ctx[tenant].organisationId}`,
      payload: { capScope: 'organisation' },
    }),
    expect: onlyAdmin(200),
  },
  'POST /v1/api-keys': {
    request: () => ({ method: 'POST', url: '/v1/api-keys', payload: { role: 'regulator', label: 'matrix' } }),
    expect: onlyAdmin(201),
  },
  'GET /v1/api-keys': { request: () => ({ url: '/v1/api-keys' }), expect: onlyAdmin(200) },
  'DELETE /v1/api-keys/:id': {
    request: async (ctx) => ({ method: 'DELETE', url: `/v1/api-keys/${await ctx.victimKeyId()}` }),
    expect: onlyAdmin(204),
  },
  'GET /v1/councils': { request: () => ({ url: '/v1/councils' }), expect: everyone(200) },
  'POST /v1/councils': {
    request: () => ({
      method: 'POST',
      url: '/v1/councils',
      payload: { onsCode: `E07${String(++councilCounter).padStart(6, '0')}`, name: 'A district' },
    }),
    expect: onlyAdmin(201),
  },
  'POST /v1/homes': {
    tenanted: true,
    request: (ctx, tenant) => ({
      method: 'POST',
      url: '/v1/homes',
      payload: {
        organisationId: ctx[tenant].organisationId,
        name: 'Matrix home',
        hostCouncil: 'E08000015',
        registeredPlaces: 2,
        // opened after the months the matrix reconciles, so that their books stay complete
        openedOn: '2026-07-01',
      },
    }),
    expect: financeWrites(201, 422),
  },
  'GET /v1/homes': { request: () => ({ url: '/v1/homes' }), expect: tenantRead(200) },
  'GET /v1/homes/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/homes/${ctx[t].homeId}` }),
    expect: tenantRead(200),
  },
  'PATCH /v1/homes/:id': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'PATCH',
      url: `/v1/homes/${ctx[t].homeId}`,
      payload: { name: 'Renamed home' },
    }),
    expect: financeWrites(200, 404),
  },
  'PUT /v1/organisations/:id/central-cost-pools/:periodStart': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'PUT',
      url: `/v1/organisations/${ctx[t].organisationId}/central-cost-pools/2026-04-01`,
      payload: pool,
    }),
    expect: financeWrites(200, 404),
  },
  'GET /v1/organisations/:id/central-cost-pools/:periodStart': {
    tenanted: true,
    request: (ctx, t) => ({
      url: `/v1/organisations/${ctx[t].organisationId}/central-cost-pools/2026-04-01`,
    }),
    expect: tenantRead(200),
  },
  'POST /v1/related-parties': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: '/v1/related-parties',
      payload: {
        organisationId: ctx[t].organisationId,
        reference: `matrix-${++requestCounter}`,
        name: 'Matrix Estates Ltd',
        relationship: 'common_control',
        description: 'Landlord under common control',
        from: '2024-01-01',
      },
    }),
    expect: financeWrites(201, 422),
  },
  'GET /v1/related-parties': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/related-parties?organisation=${ctx[t].organisationId}` }),
    expect: tenantRead(200),
  },
  'GET /v1/related-parties/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/related-parties/${ctx[t].relatedPartyId}` }),
    expect: tenantRead(200),
  },
  'PATCH /v1/related-parties/:id': {
    tenanted: true,
    request: async (ctx, t) => ({
      method: 'PATCH',
      url: `/v1/related-parties/${ctx[t].relatedPartyId}`,
      headers: { 'if-match': await ctx.partyTag(t) },
      payload: { description: `Changed by the matrix ${++requestCounter}` },
    }),
    expect: financeWrites(200, 404),
  },
  'POST /v1/homes/:id/cost-models': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: `/v1/homes/${ctx[t].homeId}/cost-models`,
      payload: wirralModel,
    }),
    expect: financeWrites(201, 404),
  },
  'GET /v1/cost-models': {
    request: () => ({ url: '/v1/cost-models' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 403, regulator: 403 },
  },
  'GET /v1/cost-models/template.xlsx': {
    request: () => ({ url: '/v1/cost-models/template.xlsx' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 403, regulator: 403 },
  },
  'GET /v1/cost-models/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/cost-models/${ctx[t].costModelId}` }),
    expect: financeWrites(200, 404),
  },
  'PUT /v1/cost-models/:id': {
    tenanted: true,
    request: async (ctx, t) => ({
      method: 'PUT',
      url: `/v1/cost-models/${ctx[t].costModelId}`,
      headers: { 'if-match': await ctx.draftTag(t) },
      payload: wirralModel,
    }),
    expect: financeWrites(200, 404),
  },
  'PATCH /v1/cost-models/:id': {
    tenanted: true,
    request: async (ctx, t) => ({
      method: 'PATCH',
      url: `/v1/cost-models/${ctx[t].costModelId}`,
      headers: { 'if-match': await ctx.draftTag(t) },
      payload: { surplus: { rate: '0.03' } },
    }),
    expect: financeWrites(200, 404),
  },
  'GET /v1/cost-models/:id/quote': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/cost-models/${ctx[t].costModelId}/quote` }),
    expect: financeWrites(200, 404),
  },
  'POST /v1/cost-models/:id/publish': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: `/v1/cost-models/${ctx[t].costModelId}/publish`,
      headers: { 'idempotency-key': `matrix-publish-${++requestCounter}` },
      payload: { effectiveFrom: '2026-06-01' },
    }),
    expect: financeWrites(201, 404),
  },
  'GET /v1/fee-schedules': { request: () => ({ url: '/v1/fee-schedules' }), expect: everyone(200) },
  'GET /v1/fee-schedules/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/fee-schedules/${ctx[t].scheduleId}` }),
    expect: published(200),
  },
  'GET /v1/fee-schedules/:id/changes': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/fee-schedules/${ctx[t].scheduleId}/changes` }),
    expect: published(200),
  },
  'GET /v1/homes/:id/fee-schedules': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/homes/${ctx[t].homeId}/fee-schedules` }),
    expect: published(200),
  },
  'GET /v1/homes/:id/fee-schedules/current': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/homes/${ctx[t].homeId}/fee-schedules/current?on=2026-12-01` }),
    expect: published(200),
  },
  'POST /v1/placements': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: '/v1/placements',
      payload: {
        homeId: ctx[t].homeId,
        councilCode: ctx[t].councilCode,
        reference: `REF-${++requestCounter}`,
        start: '2026-06-01',
      },
    }),
    expect: financeWrites(201, 404),
  },
  'GET /v1/placements': {
    request: () => ({ url: '/v1/placements' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 200, regulator: 403 },
  },
  'GET /v1/placements/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/placements/${ctx[t].placementId}` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: { own: 200, foreign: 404 },
      regulator: 403,
    },
  },
  'POST /v1/placements/:id/versions': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: `/v1/placements/${ctx[t].placementId}/versions`,
      payload: { action: 'correct', note: 'matrix correction' },
    }),
    expect: financeWrites(201, 404),
  },
  'POST /v1/placements/:id/move': {
    tenanted: true,
    request: async (ctx, t) => ({
      method: 'POST',
      url: `/v1/placements/${await ctx[t].newPlacement()}/move`,
      payload: { homeId: ctx[t].homeId, date: '2026-07-01' },
    }),
    expect: financeWrites(201, 404),
  },
  'GET /v1/councils/:code/statements': {
    tenanted: true,
    request: (ctx, t) => ({
      url: `/v1/councils/${ctx[t].councilCode}/statements?from=2026-06-01&to=2026-06-30`,
    }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: 200,
      commissioner: { own: 200, foreign: 404 },
      regulator: 403,
    },
  },
  'GET /v1/councils/:code/placement-costs': {
    tenanted: true,
    request: (ctx, t) => ({
      url: `/v1/councils/${ctx[t].councilCode}/placement-costs?from=2026-06-01&to=2026-06-30`,
    }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: 200,
      commissioner: { own: 200, foreign: 404 },
      regulator: 403,
    },
  },
  'GET /v1/organisations/:id/feed': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/organisations/${ctx[t].organisationId}/feed` }),
    expect: published(200),
  },
  'GET /v1/councils/:code/feed': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/councils/${ctx[t].councilCode}/feed` }),
    expect: everyone(200),
  },
  'GET /v1/indices': { request: () => ({ url: '/v1/indices' }), expect: everyone(200) },
  'POST /v1/indices/:series': {
    request: () => ({
      method: 'POST',
      url: '/v1/indices/CPI',
      payload: {
        date: `2019-01-${String((++requestCounter % 28) + 1).padStart(2, '0')}`,
        value: '0.018',
        source: 'ONS',
        sourceUrl: 'https://www.ons.gov.uk/',
      },
    }),
    expect: onlyAdmin(201),
  },
  'GET /v1/councils/:code/uplift-formula': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/councils/${ctx[t].councilCode}/uplift-formula` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: 200,
      commissioner: { own: 200, foreign: 404 },
      regulator: 200,
    },
  },
  'PUT /v1/councils/:code/uplift-formula': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'PUT',
      url: `/v1/councils/${ctx[t].councilCode}/uplift-formula`,
      payload: {
        formula: {
          framework: 'Test',
          terms: [{ index: 'CPI', weight: '1' }],
          noticeDays: 28,
          anniversary: '04-01',
        },
      },
    }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: 403,
      commissioner: { own: 200, foreign: 404 },
      regulator: 403,
    },
  },
  'GET /v1/councils/:code/uplift': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/councils/${ctx[t].councilCode}/uplift?on=2026-04-01` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: 200,
      commissioner: { own: 200, foreign: 404 },
      regulator: 200,
    },
  },
  'GET /v1/uplift-notices': {
    request: () => ({ url: '/v1/uplift-notices' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 200, regulator: 200 },
  },
  'GET /v1/uplift-notices/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/uplift-notices/${ctx[t].noticeId}` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: { own: 200, foreign: 404 },
      regulator: 200,
    },
  },
  'POST /v1/uplift-notices/:id/acknowledgement': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: `/v1/uplift-notices/${ctx[t].noticeId}/acknowledgement`,
      payload: {},
    }),
    expect: {
      anonymous: 401,
      admin: 403,
      finance: 403,
      commissioner: { own: 201, foreign: 404 },
      regulator: 403,
    },
  },
  'GET /v1/homes/:id/occupancy': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/homes/${ctx[t].homeId}/occupancy?from=2026-06-01&to=2026-06-30` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 403,
      regulator: 200,
    },
  },
  'GET /v1/fee-schedules/:id/proof': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/fee-schedules/${ctx[t].scheduleId}/proof` }),
    expect: published(200),
  },
  'GET /.well-known/fee-schedule-keys.json': {
    request: () => ({ url: '/.well-known/fee-schedule-keys.json' }),
    expect: everyone(200),
  },
  'GET /v1/organisations/:id/fee-schedule-chain': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/organisations/${ctx[t].organisationId}/fee-schedule-chain` }),
    expect: published(200),
  },
  'GET /transparency': { request: () => ({ url: '/transparency' }), expect: everyone(200) },
  'GET /transparency/homes/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/transparency/homes/${ctx[t].homeId}` }),
    expect: published(200),
  },
  'GET /transparency/fee-schedules/:id/changes': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/transparency/fee-schedules/${ctx[t].scheduleId}/changes` }),
    expect: published(200),
  },
  'PUT /v1/organisations/:id/nominal-codes': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'PUT',
      url: `/v1/organisations/${ctx[t].organisationId}/nominal-codes`,
      payload: { mappings: [{ nominalCode: '4000', code: 'PROPERTY_LEASE' }] },
    }),
    expect: financeWrites(200, 404),
  },
  'GET /v1/organisations/:id/nominal-codes': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/organisations/${ctx[t].organisationId}/nominal-codes` }),
    expect: financeWrites(200, 404),
  },
  'POST /v1/homes/:id/actuals': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: `/v1/homes/${ctx[t].homeId}/actuals`,
      headers: { 'idempotency-key': `matrix-actuals-${++requestCounter}` },
      payload: {
        rows: [
          { month: '2026-04', code: 'PROPERTY_LEASE', amount: '2400.00', description: `r${requestCounter}` },
        ],
      },
    }),
    expect: financeWrites(201, 404),
  },
  'GET /v1/homes/:id/actuals': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/homes/${ctx[t].homeId}/actuals?month=2026-04` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 403,
      regulator: 200,
    },
  },
  'GET /v1/homes/:id/variance': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/homes/${ctx[t].homeId}/variance?from=2026-04-01&to=2026-04-30` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 403,
      regulator: 200,
    },
  },
  'GET /v1/reconciliations/preview': {
    tenanted: true,
    request: (ctx, t) => ({
      url: `/v1/reconciliations/preview?organisationId=${ctx[t].organisationId}&from=2026-04-01&to=2026-04-30`,
    }),
    expect: financeWrites(200, 404),
  },
  'POST /v1/reconciliations': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: '/v1/reconciliations',
      payload: { organisationId: ctx[t].organisationId, from: '2026-04-01', to: '2026-04-30' },
    }),
    expect: financeWrites(201, 404),
  },
  'GET /v1/reconciliations/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/reconciliations/${ctx[t].reconciliationId}` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: { own: 200, foreign: 404 },
      regulator: 200,
    },
  },
  'GET /v1/reconciliations/:id/statements/:councilCode': {
    tenanted: true,
    request: (ctx, t) => ({
      url: `/v1/reconciliations/${ctx[t].reconciliationId}/statements/${ctx[t].councilCode}`,
    }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: { own: 200, foreign: 404 },
      regulator: 200,
    },
  },
  'GET /transparency/reconciliations/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/transparency/reconciliations/${ctx[t].reconciliationId}` }),
    expect: published(200),
  },
  'GET /v1/returns/:financialYear': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/returns/2026-27?organisation=${ctx[t].organisationId}&format=csv` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 403,
      regulator: 200,
    },
  },
  'GET /returns/annual-return.v1.schema.json': {
    request: () => ({ url: '/returns/annual-return.v1.schema.json' }),
    expect: everyone(200),
  },
  'GET /returns/annual-return.v2.schema.json': {
    request: () => ({ url: '/returns/annual-return.v2.schema.json' }),
    expect: everyone(200),
  },
  'GET /returns/annual-return.v3.schema.json': {
    request: () => ({ url: '/returns/annual-return.v3.schema.json' }),
    expect: everyone(200),
  },
  'POST /v1/scenarios': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: '/v1/scenarios',
      payload: { base: { costModelId: ctx[t].costModelId } },
    }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 403,
      regulator: 403,
    },
  },
  'POST /v1/cost-models/:id/scenarios': {
    tenanted: true,
    request: (ctx, t) => ({
      method: 'POST',
      url: `/v1/cost-models/${ctx[t].costModelId}/scenarios`,
      payload: { name: 'Full', changes: [{ lever: 'plannedOccupancy', value: '1' }] },
    }),
    expect: {
      anonymous: 401,
      admin: 201,
      finance: { own: 201, foreign: 404 },
      commissioner: 403,
      regulator: 403,
    },
  },
  'GET /v1/cost-models/:id/scenarios': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/cost-models/${ctx[t].costModelId}/scenarios` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 403,
      regulator: 403,
    },
  },
  'GET /v1/scenarios/:id': {
    tenanted: true,
    request: (ctx, t) => ({ url: `/v1/scenarios/${ctx[t].scenarioId}` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 403,
      regulator: 403,
    },
  },
  'POST /v1/scenarios/:id/draft': {
    tenanted: true,
    request: (ctx, t) => ({ method: 'POST', url: `/v1/scenarios/${ctx[t].scenarioId}/draft`, payload: {} }),
    expect: {
      anonymous: 401,
      admin: 201,
      finance: { own: 201, foreign: 404 },
      commissioner: 403,
      regulator: 403,
    },
  },
  'GET /v1/audit-events': {
    request: () => ({ url: '/v1/audit-events' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 403, regulator: 403 },
  },
};

/** An organisation with a home, a central cost pool, a draft and two published schedules. */
async function tenantFixtures(
  app: TestApp['app'],
  name: string,
  councilCode: string,
): Promise<TenantFixtures> {
  const organisationId = await createOrganisation(app, name);
  const as = (options: InjectOptions) =>
    app.inject({ ...options, headers: { ...adminAuth, ...(options.headers ?? {}) } });
  const home = await as({
    method: 'POST',
    url: '/v1/homes',
    payload: {
      organisationId,
      name: `${name} home`,
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    },
  });
  const homeId = home.json().id;
  await as({
    method: 'PUT',
    url: `/v1/organisations/${organisationId}/central-cost-pools/2026-04-01`,
    payload: pool,
  });
  const draft = await as({ method: 'POST', url: `/v1/homes/${homeId}/cost-models`, payload: wirralModel });
  const costModelId = draft.json().id;
  let scheduleId = '';
  for (const effectiveFrom of ['2026-04-01', '2026-09-01']) {
    const published = await as({
      method: 'POST',
      url: `/v1/cost-models/${costModelId}/publish`,
      headers: { 'idempotency-key': `fixture-${organisationId}-${effectiveFrom}` },
      payload: { effectiveFrom },
    });
    if (published.statusCode !== 201) throw new Error(`fixture publish failed: ${published.body}`);
    scheduleId = published.json().id;
  }
  const newPlacement = async () => {
    const placement = await as({
      method: 'POST',
      url: '/v1/placements',
      payload: { homeId, councilCode, reference: `FIX-${++requestCounter}`, start: '2026-06-01' },
    });
    if (placement.statusCode !== 201) throw new Error(`fixture placement failed: ${placement.body}`);
    return placement.json().id as string;
  };
  await as({
    method: 'POST',
    url: `/v1/homes/${homeId}/actuals`,
    headers: { 'idempotency-key': `fixture-actuals-${organisationId}` },
    payload: {
      rows: [
        { month: '2026-04', code: 'PROPERTY_LEASE', amount: '2400.00' },
        { month: '2026-06', code: 'NIL' },
      ],
    },
  });
  const placementId = await newPlacement();
  // a new fee reaching the placement: its council is given an uplift notice (under a formula of its own)
  await as({
    method: 'PUT',
    url: `/v1/councils/${councilCode}/uplift-formula`,
    payload: {
      formula: {
        framework: 'Test',
        terms: [{ index: 'NLW', weight: '1' }],
        noticeDays: 28,
        anniversary: '04-01',
      },
    },
  });
  const rise = await as({
    method: 'POST',
    url: `/v1/cost-models/${costModelId}/publish`,
    headers: { 'idempotency-key': `fixture-${organisationId}-rise` },
    payload: { effectiveFrom: '2026-10-01' },
  });
  if (rise.statusCode !== 201) throw new Error(`fixture publish failed: ${rise.body}`);
  const notices = await as({ url: `/v1/uplift-notices?homeId=${homeId}` });
  const noticeId = notices.json().items[0]?.id;
  if (!noticeId) throw new Error(`fixture notice missing: ${notices.body}`);
  const reconciliation = await as({
    method: 'POST',
    url: '/v1/reconciliations',
    payload: { organisationId, from: '2026-06-01', to: '2026-06-30' },
  });
  if (reconciliation.statusCode !== 201)
    throw new Error(`fixture reconciliation failed: ${reconciliation.body}`);
  const party = await as({
    method: 'POST',
    url: '/v1/related-parties',
    payload: {
      organisationId,
      reference: 'landlord',
      name: `${name} Estates Ltd`,
      relationship: 'common_control',
      description: 'Landlord under common control',
      from: '2024-01-01',
    },
  });
  if (party.statusCode !== 201) throw new Error(`fixture related party failed: ${party.body}`);
  const scenario = await as({
    method: 'POST',
    url: `/v1/cost-models/${costModelId}/scenarios`,
    payload: { name: 'Full house', changes: [{ lever: 'plannedOccupancy', value: '1' }] },
  });
  if (scenario.statusCode !== 201) throw new Error(`fixture scenario failed: ${scenario.body}`);
  return {
    scenarioId: scenario.json().id,
    relatedPartyId: party.json().id,
    organisationId,
    homeId,
    costModelId,
    scheduleId,
    councilCode,
    placementId,
    newPlacement,
    reconciliationId: reconciliation.json().id,
    noticeId,
  };
}

describe('authorisation matrix', () => {
  let testApp: TestApp;
  let ctx: Context;
  const keys = {} as Record<Exclude<Caller, 'anonymous'>, string>;

  beforeAll(async () => {
    testApp = await createTestApp('pglite');
    const { app } = testApp;
    const own = await tenantFixtures(app, 'Own Homes CIC', 'E08000015');
    const foreign = await tenantFixtures(app, 'Foreign Homes CIC', 'E08000014');
    keys.admin = (await createKey(app, { role: 'admin' })).key;
    keys.finance = (await createKey(app, { role: 'finance', organisationId: own.organisationId })).key;
    keys.commissioner = (await createKey(app, { role: 'commissioner', councils: ['E08000015'] })).key;
    keys.regulator = (await createKey(app, { role: 'regulator' })).key;
    ctx = {
      own,
      foreign,
      victimKeyId: async () => (await createKey(app, { role: 'regulator', label: 'to be revoked' })).id,
      draftTag: async (t) =>
        String(
          (await app.inject({ url: `/v1/cost-models/${ctx[t].costModelId}`, headers: adminAuth })).headers
            .etag,
        ),
      partyTag: async (t) =>
        String(
          (await app.inject({ url: `/v1/related-parties/${ctx[t].relatedPartyId}`, headers: adminAuth }))
            .headers.etag,
        ),
    };
  });
  afterAll(() => testApp.close());

  it('has a row for every route the app serves (outside the bundled /docs UI)', () => {
    const served = testApp.app.accessTable
      .filter((route) => !route.url.startsWith('/docs'))
      .map((route) => `${route.method} ${route.url}`);
    expect([...new Set(served)].sort()).toEqual(Object.keys(rows).sort());
  });

  it('serves the bundled API browser at /docs to anyone', async () => {
    const docs = testApp.app.accessTable.filter((route) => route.url.startsWith('/docs'));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.every((route) => 'public' in route.access)).toBe(true);
    expect((await testApp.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });

  const cases = Object.entries(rows).flatMap(([route, row]) =>
    callers.flatMap((caller) =>
      (row.tenanted ? (['own', 'foreign'] as const) : (['own'] as const)).map((tenant) => {
        const expected = row.expect[caller];
        const status = typeof expected === 'number' ? expected : expected[tenant];
        return { route, row, caller, tenant, status };
      }),
    ),
  );

  it.each(cases)('$route as $caller ($tenant tenant) → $status', async ({ row, caller, tenant, status }) => {
    const options = await row.request(ctx, tenant);
    const headers = { ...(options.headers ?? {}), ...(caller === 'anonymous' ? {} : bearer(keys[caller])) };
    const response = await testApp.app.inject({ ...options, headers });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(status);
    if (status >= 400) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (status === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it("documents each route's access in the OpenAPI document", async () => {
    const document = (await testApp.app.inject({ url: '/openapi.json' })).json();
    const operation = document.paths['/v1/api-keys'].post;
    expect(operation.description).toContain('**Access.** Roles: `admin`');
    expect(operation.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/health/live'].get.description).toContain('Public: no key needed.');
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('keeps a finance key to its own organisation in lists', async () => {
    const list = await testApp.app.inject({ url: '/v1/organisations', headers: bearer(keys.finance) });
    expect(list.json().items.map((o: { id: string }) => o.id)).toEqual([ctx.own.organisationId]);
    const audit = await testApp.app.inject({
      url: `/v1/audit-events?organisationId=${ctx.foreign.organisationId}`,
      headers: bearer(keys.finance),
    });
    const events = audit.json().items as Array<{ organisationId: string }>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.organisationId === ctx.own.organisationId)).toBe(true);
  });

  it('answers 401 to a malformed Authorization header and to an unknown key', async () => {
    for (const authorization of [
      'Basic abc',
      'Bearer',
      'Bearer cpk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      const response = await testApp.app.inject({ url: '/v1/organisations', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
    }
    expect((await testApp.app.inject({ url: '/v1/organisations', headers: adminAuth })).statusCode).toBe(200);
  });
});

describe('with PUBLIC_TRANSPARENCY=false', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite', { env: { PUBLIC_TRANSPARENCY: 'false' } });
  });
  afterAll(() => testApp.close());

  it('asks for a key to read published schedules, and any valid key will do', async () => {
    expect((await testApp.app.inject({ url: '/v1/fee-schedules' })).statusCode).toBe(401);
    const { key } = await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] });
    expect((await testApp.app.inject({ url: '/v1/fee-schedules', headers: bearer(key) })).statusCode).toBe(
      200,
    );
  });
});
