import type { RequestContext } from '../../core/context.js';
import { conflictOnUniqueViolation, invalidField, notFound, StaleError } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { assertOrganisation } from '../../core/principal.js';
import { DomainValidationError, type FieldIssue } from '../../domain/errors.js';
import type { CostModel, RelatedParty } from '../../domain/pricing/index.js';
import { recordAudit } from '../audit/index.js';
import { findOrganisation } from '../organisations/index.js';
import {
  findRelatedParty,
  insertRelatedParty,
  listRelatedParties,
  lockRelatedParty,
  partiesByReference,
  type RelatedPartyRow,
  toRelatedParty,
  updateRelatedParty,
} from './repository.js';
import type { RelatedPartyInput, RelatedPartyPatch, RelatedPartyRecord } from './schemas.js';

// Method v2 §6: the register of related parties. Finance (its own organisation) and admin add and
// change parties; a party is never deleted, it is ended (`to`). Every change is audited with the row
// before and after. Commissioners and the regulator read every organisation's register.

/** A party the principal may see, or 404 (a missing one and another tenant's alike). */
export async function visibleRelatedParty(ctx: RequestContext, id: string): Promise<RelatedPartyRecord> {
  const row = await findRelatedParty(ctx.database.db, id);
  if (!row) throw notFound('Related party');
  assertOrganisation(ctx.principal, row.organisation_id, 'Related party');
  return toRelatedParty(row);
}

export async function createRelatedParty(
  ctx: RequestContext,
  input: RelatedPartyInput,
): Promise<RelatedPartyRecord> {
  const { database, principal } = ctx;
  const organisationId = input.organisationId ?? principal.organisationId;
  if (!organisationId) throw invalidField('/organisationId', 'is required');
  if (principal.role === 'finance' && organisationId !== principal.organisationId) {
    throw invalidField('/organisationId', "a finance key changes its own organisation's register only");
  }
  if (!(await findOrganisation(database.db, organisationId)))
    throw invalidField('/organisationId', 'is not an organisation known here');
  if (input.to != null && input.to < input.from) throw invalidField('/to', 'must not be before from');
  try {
    return await database.db.transaction().execute(async (trx) => {
      const row = await insertRelatedParty(trx, {
        organisation_id: organisationId,
        reference: input.reference,
        name: input.name,
        companies_house_number: input.companiesHouseNumber ?? null,
        relationship: input.relationship,
        description: input.description,
        from_date: input.from,
        to_date: input.to ?? null,
        created_by: principal.actor,
        updated_by: principal.actor,
      });
      const party = toRelatedParty(row);
      await recordAudit(trx, {
        principal,
        requestId: ctx.requestId,
        action: 'create',
        resourceType: 'related_party',
        resourceId: party.id,
        organisationId,
        after: party,
      });
      return party;
    });
  } catch (error) {
    conflictOnUniqueViolation(
      error,
      `The organisation's register already has a related party with the reference ${JSON.stringify(input.reference)}`,
    );
  }
}

/**
 * Changes a party (never its reference). `expectedVersion` is the version the caller read (If-Match):
 * a change made since is a 412, checked again under the row's lock.
 */
export async function changeRelatedParty(
  ctx: RequestContext,
  change: { id: string; expectedVersion: number; patch: RelatedPartyPatch },
): Promise<RelatedPartyRecord> {
  const { principal } = ctx;
  const { id, expectedVersion, patch } = change;
  return ctx.database.db.transaction().execute(async (trx) => {
    const before = await lockRelatedParty(trx, id);
    if (!before) throw notFound('Related party');
    assertOrganisation(principal, before.organisation_id, 'Related party');
    if (before.version !== expectedVersion) throw new StaleError(before.version);
    const { from, to } = patchedDates(before, patch);
    const row = await updateRelatedParty(trx, id, {
      ...patchedDetails(patch),
      from_date: from,
      to_date: to,
      updated_by: principal.actor,
      version: before.version + 1,
    });
    const party = toRelatedParty(row);
    await recordAudit(trx, {
      principal,
      requestId: ctx.requestId,
      action: endsRelationship(before, patch) ? 'end' : 'update',
      resourceType: 'related_party',
      resourceId: id,
      organisationId: party.organisationId,
      before: toRelatedParty(before),
      after: party,
    });
    return party;
  });
}

/**
 * The relationship's first and last day once patched (a day the patch leaves out stays as the register
 * has it); a 422 at the field changed when it would end before it starts.
 */
function patchedDates(
  before: RelatedPartyRow,
  patch: RelatedPartyPatch,
): { from: RelatedPartyRow['from_date']; to: RelatedPartyRow['to_date'] } {
  const from = patch.from ?? before.from_date;
  const to = patch.to === undefined ? before.to_date : patch.to;
  if (to !== null && to < from) {
    throw invalidField(
      patch.to === undefined ? '/from' : '/to',
      `the relationship cannot end (${to}) before it starts (${from})`,
    );
  }
  return { from, to };
}

/** The party's details the patch changes, in the register's columns. */
function patchedDetails(
  patch: RelatedPartyPatch,
): Partial<Pick<RelatedPartyRow, 'name' | 'companies_house_number' | 'relationship' | 'description'>> {
  return {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.companiesHouseNumber !== undefined
      ? { companies_house_number: patch.companiesHouseNumber }
      : {}),
    ...(patch.relationship !== undefined ? { relationship: patch.relationship } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
  };
}

/** Whether the patch ends a relationship the register had as ongoing (audited as `end`). */
function endsRelationship(before: RelatedPartyRow, patch: RelatedPartyPatch): boolean {
  return patch.to !== undefined && patch.to !== null && before.to_date === null;
}

/** The register of one organisation or, for admin, commissioners and the regulator, of all. */
export async function pageRelatedParties(
  ctx: RequestContext,
  query: { organisation?: string | undefined; cursor?: string | undefined; limit: number },
) {
  const { principal } = ctx;
  if (
    principal.role === 'finance' &&
    query.organisation !== undefined &&
    query.organisation !== principal.organisationId
  ) {
    throw notFound('Organisation');
  }
  const organisationId =
    principal.role === 'finance' ? (principal.organisationId ?? undefined) : query.organisation;
  const afterId = query.cursor ? decodeCursor(query.cursor, ['uuid'])[0] : undefined;
  const rows = await listRelatedParties(ctx.database.db, { organisationId, afterId, limit: query.limit });
  return pageOf(rows, query.limit, toRelatedParty, (party) => [party.id]);
}

type Db = Parameters<typeof partiesByReference>[0];

/** A register entry as a cost model lists it (`relatedParties[]`). */
export function modelPartyOf(row: RelatedPartyRow): RelatedParty {
  return {
    id: row.reference,
    name: row.name,
    ...(row.companies_house_number === null ? {} : { companiesHouseNumber: row.companies_house_number }),
    relationship: row.relationship,
  };
}

/**
 * §6 a draft's related parties are the organisation's: each model party is a register entry (by
 * reference) related at some time in the pricing period, with the register's name, Companies House
 * number and relationship. Issues name the model's field; none when the model lists no parties.
 */
export async function registerIssues(
  db: Db,
  organisationId: string,
  model: Pick<CostModel, 'period' | 'relatedParties'>,
): Promise<FieldIssue[]> {
  const parties = model.relatedParties ?? [];
  if (parties.length === 0) return [];
  const register = await partiesByReference(db, organisationId);
  const issues: FieldIssue[] = [];
  parties.forEach((party, index) => {
    const at = `/relatedParties/${index}`;
    const row = register.get(party.id);
    if (row === undefined) {
      issues.push({
        pointer: `${at}/id`,
        message: `is not in the organisation's register of related parties: add it first (POST /v1/related-parties with reference ${JSON.stringify(party.id)})`,
      });
      return;
    }
    if (row.from_date > model.period.end || (row.to_date !== null && row.to_date < model.period.start)) {
      issues.push({
        pointer: `${at}/id`,
        message: `the register has ${row.name} related from ${row.from_date}${row.to_date === null ? '' : ` to ${row.to_date}`}, not at any time in the period ${model.period.start} to ${model.period.end}`,
      });
    }
    const expected = modelPartyOf(row);
    for (const field of ['name', 'companiesHouseNumber', 'relationship'] as const) {
      if (party[field] !== expected[field]) {
        issues.push({
          pointer: `${at}/${field}`,
          message:
            expected[field] === undefined
              ? `the register gives ${row.reference} no ${field}: leave it out or change the register first`
              : `must be as the register has it: ${JSON.stringify(expected[field])}`,
        });
      }
    }
  });
  return issues;
}

/** Throws a 422 (DomainValidationError) unless the model's related parties agree with the register. */
export async function assertRegisterAgrees(
  db: Db,
  organisationId: string,
  model: Pick<CostModel, 'period' | 'relatedParties'>,
): Promise<void> {
  const issues = await registerIssues(db, organisationId, model);
  if (issues.length > 0) throw new DomainValidationError(issues);
}
