import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { ChargeEnhancement } from '../domain/charges/index.js';
import type { RelatedPartyRelationship } from '../domain/pricing/codes.js';
import type { Breakdown, CostModel } from '../domain/pricing/index.js';
import type { VarianceLine } from '../domain/reconciliation/index.js';
import type { ScenarioSpec } from '../domain/scenarios/schema.js';
import type { Settlement } from '../domain/settlement/index.js';
import type { UpliftFormula, UpliftNoticeDocument } from '../domain/uplifts/index.js';

/**
 * Table types for kysely: one interface per table, named as in SQL.
 * Both drivers are set to return numeric, int8 and date columns as strings (see database.ts);
 * timestamptz comes back as a Date on both.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A jsonb column as it is read (T), written as JSON text. */
type Json<T extends object> = JSONColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

/** A cost model draft as stored: what its author sent, checked by the schema only when it is priced. */
export type DraftDocument = Record<string, unknown>;

/** A component of an organisation's central cost pool (method §7 central shares, §6 related parties). */
export interface StoredPoolLine {
  code: string;
  description: string;
  amount: string;
  relatedPartyId?: string;
  marketAmount?: string;
  marketEvidence?: string;
}

/** An enhancement of a placement (extra hours of a role of the home's cost model, for a while), as charged. */
export type StoredEnhancement = ChargeEnhancement;

/** A frozen reconciliation's document: the settlement and the variance by code, as signed. */
export type ReconciliationDocument = Settlement & { variance: VarianceLine[] };

export interface AppMetaTable {
  key: string;
  value: string;
  updated_at: Generated<Date>;
}

export interface OrganisationsTable {
  id: Generated<string>;
  name: string;
  legal_form: string;
  companies_house_number: string | null;
  surplus_cap_rate: ColumnType<string, string | undefined, string>;
  cap_scope: ColumnType<
    'organisation' | 'home',
    'organisation' | 'home' | undefined,
    'organisation' | 'home'
  >;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type Role = 'admin' | 'finance' | 'commissioner' | 'regulator';

export interface ApiKeysTable {
  id: Generated<string>;
  prefix: string;
  secret_hash: string;
  role: Role;
  organisation_id: string | null;
  councils: ColumnType<string[], string[] | undefined, string[]>;
  label: string;
  created_at: Generated<Date>;
  created_by: string;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  occurred_at: Generated<Date>;
  actor: string;
  actor_key_id: string | null;
  actor_role: string;
  organisation_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  request_id: string | null;
  before: NullableJson<unknown>;
  after: NullableJson<unknown>;
}

export interface CouncilsTable {
  ons_code: string;
  name: string;
  created_at: Generated<Date>;
}

export interface HomesTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  ofsted_urn: string | null;
  host_council: string;
  registered_places: number;
  opened_on: string;
  closed_on: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CentralCostPoolsTable {
  id: Generated<string>;
  organisation_id: string;
  period_label: string;
  period_start: string;
  period_end: string;
  basis: 'places' | 'staff_fte' | 'equal';
  lines: Json<StoredPoolLine[]>;
  total_annual: string;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CostModelsTable {
  id: Generated<string>;
  home_id: string;
  organisation_id: string;
  period_label: string;
  period_start: string;
  period_end: string;
  document: Json<DraftDocument>;
  central_source: 'pool' | 'model';
  version: Generated<number>;
  created_by: string;
  updated_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface FeeSchedulesTable {
  id: Generated<string>;
  home_id: string;
  organisation_id: string;
  cost_model_id: string;
  cost_model_version: number;
  period_label: string;
  period_start: string;
  period_end: string;
  version: number;
  effective_from: string;
  weekly_fee_per_child: string;
  surplus_rate: string;
  method_version: number;
  model: Json<CostModel>;
  breakdown: Json<Breakdown>;
  published_by: string;
  published_by_key_id: string | null;
  published_at: ColumnType<Date, Date | undefined, never>;
}

export interface IdempotencyKeysTable {
  actor: string;
  key: string;
  operation: string;
  request_hash: string;
  resource_id: string;
  created_at: Generated<Date>;
}

export interface PlacementsTable {
  id: Generated<string>;
  organisation_id: string;
  council_code: string;
  reference: string;
  moved_from: string | null;
  created_at: Generated<Date>;
  created_by: string;
}

export interface PlacementVersionsTable {
  placement_id: string;
  version: number;
  home_id: string;
  start_date: string;
  end_date: string | null;
  enhancements: Json<StoredEnhancement[]>;
  action: 'create' | 'end' | 'move' | 'correct' | 'enhance';
  note: string | null;
  recorded_at: Generated<Date>;
  recorded_by: string;
}

export interface SigningKeysTable {
  key_id: string;
  public_key: string;
  algorithm: Generated<string>;
  created_at: Generated<Date>;
}

export interface FeeScheduleProofsTable {
  schedule_id: string;
  organisation_id: string;
  sequence: number;
  hash: string;
  previous_hash: string | null;
  signature: string;
  key_id: string;
  created_at: Generated<Date>;
}

export interface NominalCodeMappingsTable {
  organisation_id: string;
  nominal_code: string;
  spec_code: string;
}

export interface ActualsImportsTable {
  id: Generated<string>;
  batch_id: string;
  organisation_id: string;
  home_id: string;
  month: string;
  version: number;
  source: 'json' | 'csv';
  imported_by: string;
  imported_at: Generated<Date>;
}

/** An import still being written: its batch is invisible until the row is removed. */
export interface ActualsPendingTable {
  batch_id: string;
  home_id: string;
  started_at: Generated<Date>;
}

export interface ActualAmountsTable {
  import_id: string;
  line: number;
  code: string;
  amount: string;
  nominal_code: string | null;
  description: string | null;
  /** Method v2 §6: the register reference of the related party paid, if any. */
  related_party: ColumnType<string | null, string | null | undefined, never>;
}

/** Method v2 §6: an organisation's register of related parties; changed and ended, never deleted. */
export interface RelatedPartiesTable {
  id: Generated<string>;
  organisation_id: string;
  reference: string;
  name: string;
  companies_house_number: string | null;
  relationship: RelatedPartyRelationship;
  description: string;
  from_date: string;
  to_date: string | null;
  version: Generated<number>;
  created_by: string;
  updated_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ReconciliationsTable {
  id: Generated<string>;
  organisation_id: string;
  home_id: string | null;
  period_start: string;
  period_end: string;
  document: Json<ReconciliationDocument>;
  hash: string;
  signature: string;
  key_id: string;
  created_by: string;
  created_at: Generated<Date>;
  rule_version: ColumnType<number, number | undefined, number>;
  supersedes: string | null;
}

export interface IndexValuesTable {
  series: 'RLW' | 'CPI';
  date: string;
  value: string;
  source: string;
  source_url: string;
  recorded_by: string;
  recorded_at: Generated<Date>;
}

export interface UpliftFormulasTable {
  council_code: string;
  version: number;
  formula: Json<UpliftFormula>;
  recorded_by: string;
  recorded_at: Generated<Date>;
}

export interface UpliftNoticesTable {
  id: Generated<string>;
  council_code: string;
  organisation_id: string;
  home_id: string;
  schedule_id: string;
  previous_schedule_id: string;
  issued_on: string;
  applies_from: string;
  document: Json<UpliftNoticeDocument>;
  hash: string;
  signature: string;
  key_id: string;
  created_at: Generated<Date>;
}

export interface ScenariosTable {
  id: Generated<string>;
  organisation_id: string;
  cost_model_id: string;
  name: string;
  spec: Json<ScenarioSpec>;
  saved_against_version: number;
  created_by: string;
  created_at: Generated<Date>;
}

export interface UpliftNoticeAcknowledgementsTable {
  notice_id: string;
  acknowledged_by: string;
  acknowledged_by_key_id: string | null;
  note: string | null;
  acknowledged_at: Generated<Date>;
}

export interface Database {
  index_values: IndexValuesTable;
  uplift_formulas: UpliftFormulasTable;
  uplift_notices: UpliftNoticesTable;
  uplift_notice_acknowledgements: UpliftNoticeAcknowledgementsTable;
  scenarios: ScenariosTable;
  related_parties: RelatedPartiesTable;
  reconciliations: ReconciliationsTable;
  nominal_code_mappings: NominalCodeMappingsTable;
  actuals_imports: ActualsImportsTable;
  actual_amounts: ActualAmountsTable;
  actuals_pending: ActualsPendingTable;
  signing_keys: SigningKeysTable;
  fee_schedule_proofs: FeeScheduleProofsTable;
  placements: PlacementsTable;
  placement_versions: PlacementVersionsTable;
  councils: CouncilsTable;
  homes: HomesTable;
  central_cost_pools: CentralCostPoolsTable;
  cost_models: CostModelsTable;
  fee_schedules: FeeSchedulesTable;
  idempotency_keys: IdempotencyKeysTable;
  app_meta: AppMetaTable;
  organisations: OrganisationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
}
