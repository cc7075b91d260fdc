import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../db/database.js';
import { canonicalJson, signHash } from '../../domain/proofs.js';
import { budgetFromSchedules } from '../../domain/reconciliation/budget.js';
import { type Reconciliation, reconcile } from '../../domain/reconciliation/index.js';
import { assertOrganisation, notFound, type Principal } from '../../http/auth.js';
import { invalidField } from '../../http/errors.js';
import { recordAudit } from '../audit/repository.js';
import { registerSigningKey } from '../fee-schedules/proofs.js';
import type { SigningKey } from '../fee-schedules/signing.js';
import { currentPlacements } from '../placements/repository.js';
import { chargePlacements } from '../statements/charges.js';

export interface Scope {
  organisationId: string;
  homeId?: string | undefined;
  from: string;
  to: string;
}

/**
 * What a home (or every home of an organisation) was paid, really spent and budgeted over a period:
 * income from the placements charged at the schedules in force, actual costs from the latest version
 * of each month's import, the budget pro rata from the schedules in force.
 */
export async function periodFigures(database: DatabaseHandle, principal: Principal, scope: Scope) {
  assertOrganisation(principal, scope.organisationId, 'Organisation');
  if (scope.to < scope.from) throw invalidField('/to', 'must not be before from');
  const { db } = database;
  let homesQuery = db
    .selectFrom('homes')
    .select(['id', 'organisation_id'])
    .where('organisation_id', '=', scope.organisationId);
  if (scope.homeId) homesQuery = homesQuery.where('id', '=', scope.homeId);
  const homes = await homesQuery.execute();
  if (scope.homeId && homes.length === 0) throw notFound('Home');
  const homeIds = homes.map((home) => home.id);
  const organisation = await db
    .selectFrom('organisations')
    .select('surplus_cap_rate')
    .where('id', '=', scope.organisationId)
    .executeTakeFirst();
  if (!organisation) throw notFound('Organisation');
  if (homeIds.length === 0)
    return { capRate: organisation.surplus_cap_rate, income: [], actualCosts: [], budget: [] };

  const placements = [];
  for (const homeId of homeIds) {
    placements.push(
      ...(await currentPlacements(db, { homeId, overlapping: { from: scope.from, to: scope.to } })),
    );
  }
  const { charges, schedules } = await chargePlacements(db, placements, homeIds, scope.from, scope.to);
  const income = charges.placements.map((placement) => ({
    councilCode: placement.councilCode,
    amount: placement.total,
  }));

  const monthFrom = `${scope.from.slice(0, 7)}-01`;
  const actualRows = await db
    .with('latest', (qb) =>
      qb
        .selectFrom('actuals_imports')
        .distinctOn(['home_id', 'month'])
        .select('id')
        .where('home_id', 'in', homeIds)
        .where('month', '>=', monthFrom)
        .where('month', '<=', scope.to)
        .orderBy('home_id')
        .orderBy('month')
        .orderBy('version', 'desc'),
    )
    .selectFrom('actual_amounts')
    .select(['code', sql<string>`sum(amount)`.as('amount')])
    .where('import_id', 'in', (qb) => qb.selectFrom('latest').select('id'))
    .groupBy('code')
    .orderBy('code')
    .execute();
  const budget = budgetFromSchedules(schedules, scope.from, scope.to);
  return {
    capRate: organisation.surplus_cap_rate.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''),
    income,
    actualCosts: actualRows.map((row) => ({ code: row.code, amount: String(row.amount) })),
    budget,
  };
}

/** The reconciliation of a scope, with the period's figures it was worked out from (read once). */
export async function reconcileScope(database: DatabaseHandle, principal: Principal, scope: Scope) {
  const figures = await periodFigures(database, principal, scope);
  const reconciliation = reconcile({
    scope: scope.homeId
      ? { kind: 'home', id: scope.homeId }
      : { kind: 'organisation', id: scope.organisationId },
    period: { start: scope.from, end: scope.to },
    capRate: figures.capRate,
    income: figures.income,
    actualCosts: figures.actualCosts,
    budget: figures.budget,
  });
  return { reconciliation, figures };
}

export async function previewReconciliation(
  database: DatabaseHandle,
  principal: Principal,
  scope: Scope,
): Promise<Reconciliation> {
  return (await reconcileScope(database, principal, scope)).reconciliation;
}

export interface FrozenReconciliation {
  id: string;
  organisationId: string;
  homeId: string | null;
  period: { start: string; end: string };
  reconciliation: Reconciliation;
  hash: string;
  signature: string;
  keyId: string;
  createdBy: string;
  createdAt: string;
}

/** Freezes a reconciliation: stored immutably, its canonical JSON hashed (SHA-256) and signed (Ed25519). */
export async function freezeReconciliation(
  database: DatabaseHandle,
  signingKey: SigningKey,
  principal: Principal,
  requestId: string,
  scope: Scope,
): Promise<FrozenReconciliation> {
  const reconciliation = await previewReconciliation(database, principal, scope);
  const hash = createHash('sha256').update(canonicalJson(reconciliation)).digest('hex');
  const row = await database.db.transaction().execute(async (trx) => {
    await registerSigningKey(trx, signingKey);
    const inserted = await trx
      .insertInto('reconciliations')
      .values({
        organisation_id: scope.organisationId,
        home_id: scope.homeId ?? null,
        period_start: scope.from,
        period_end: scope.to,
        document: JSON.stringify(reconciliation),
        hash,
        signature: signHash(hash, signingKey.privateKey),
        key_id: signingKey.keyId,
        created_by: principal.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'freeze',
      resourceType: 'reconciliation',
      resourceId: inserted.id,
      organisationId: scope.organisationId,
      after: { hash, outcome: reconciliation.outcome, excess: reconciliation.excess },
    });
    return inserted;
  });
  return toFrozen(row);
}

function toFrozen(row: {
  id: string;
  organisation_id: string;
  home_id: string | null;
  period_start: string;
  period_end: string;
  document: unknown;
  hash: string;
  signature: string;
  key_id: string;
  created_by: string;
  created_at: Date;
}): FrozenReconciliation {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    homeId: row.home_id,
    period: { start: row.period_start, end: row.period_end },
    reconciliation: row.document as Reconciliation,
    hash: row.hash,
    signature: row.signature,
    keyId: row.key_id,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * A frozen reconciliation. A commissioner sees only its own councils' income and rebate lines (404
 * when none of its councils paid anything); finance its own organisation's.
 */
export async function getReconciliation(
  database: DatabaseHandle,
  principal: Principal,
  id: string,
): Promise<FrozenReconciliation> {
  const row = await database.db
    .selectFrom('reconciliations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Reconciliation');
  assertOrganisation(principal, row.organisation_id, 'Reconciliation');
  const frozen = toFrozen(row);
  if (principal.role !== 'commissioner') return frozen;
  const mine = (code: string) => principal.councils.includes(code);
  const { reconciliation } = frozen;
  if (!reconciliation.incomeByCouncil.some((line) => mine(line.councilCode)))
    throw notFound('Reconciliation');
  return {
    ...frozen,
    reconciliation: {
      ...reconciliation,
      incomeByCouncil: reconciliation.incomeByCouncil.filter((line) => mine(line.councilCode)),
      rebates: reconciliation.rebates.filter((line) => mine(line.councilCode)),
    },
  };
}
