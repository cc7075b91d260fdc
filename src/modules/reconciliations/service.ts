import type { Selectable } from 'kysely';
import type { PublicContext, RequestContext } from '../../core/context.js';
import {
  conflictOnUniqueViolation,
  InvalidError,
  invalidField,
  invalidQuery,
  notFound,
} from '../../core/errors.js';
import { assertOrganisation } from '../../core/principal.js';
import type { ReconciliationsTable } from '../../db/schema.js';
import { documentHash, signHash } from '../../domain/proofs.js';
import { budgetFromSchedules } from '../../domain/reconciliation/budget.js';
import { type VarianceLine, varianceByCode } from '../../domain/reconciliation/index.js';
import { settleBooks } from '../../domain/settlement/books.js';
import { SETTLEMENT_RULE_VERSION, type Settlement } from '../../domain/settlement/index.js';
import { recordAudit } from '../audit/index.js';
import type { SigningKey } from '../fee-schedules/index.js';
import { registerSigningKey, todayInEngland } from '../fee-schedules/index.js';
import { visibleHome } from '../homes/index.js';
import { rateTables } from '../rates/index.js';
import { loadBooks } from '../settlements/index.js';
import {
  findReconciliationRow,
  insertReconciliation,
  isHomeOf,
  latestReconciliationOf,
  lockOrganisation,
  pricingPeriod,
  successorOf,
} from './repository.js';
import { type CouncilReconciliationStatement, councilStatementOf } from './statements.js';

export interface Scope {
  organisationId: string;
  homeId?: string | undefined;
  from: string;
  to: string;
}

/** A reconciliation: the year-end settlement (method §7) of its scope, and the variance by code beside it. */
export type Reconciliation = Settlement & { variance: VarianceLine[] };

/**
 * A scope's settlement and what it was worked out from, read once: the books of the organisation
 * (income from the placements charged at the schedules in force, costs and months from the latest
 * import of each month) and the budget pro rata from the schedules in force. Today (in England, by
 * the context's clock) decides whether the period has ended.
 */
export async function reconcileScope(
  ctx: RequestContext,
  scope: Scope,
): Promise<{ reconciliation: Reconciliation; budget: Array<{ code: string; amount: string }> }> {
  const today = todayInEngland(ctx.clock());
  assertOrganisation(ctx.principal, scope.organisationId, 'Organisation');
  if (scope.to < scope.from) throw invalidField('/to', 'must not be before from');
  const { db } = ctx.database;
  if (scope.homeId && !(await isHomeOf(db, scope.homeId, scope.organisationId))) throw notFound('Home');
  const [books] = await loadBooks(
    db,
    [scope.organisationId],
    { start: scope.from, end: scope.to },
    {
      withBreakdowns: true,
    },
  );
  if (!books) throw notFound('Organisation');
  const { settlement } = settleBooks(
    { ...books, rateTables: rateTables() },
    { asOf: today, homeId: scope.homeId },
  );
  const schedules = books.homes
    .filter((home) => scope.homeId === undefined || home.id === scope.homeId)
    .flatMap((home) => home.schedules.map((schedule) => ({ ...schedule, breakdown: schedule.breakdown! })));
  const budget = budgetFromSchedules(schedules, scope.from, scope.to);
  const actual = settlement.costByCode.map((line) => ({ code: line.code, amount: line.amount }));
  return { reconciliation: { ...settlement, variance: varianceByCode(budget, actual) }, budget };
}

export async function previewReconciliation(ctx: RequestContext, scope: Scope): Promise<Reconciliation> {
  return (await reconcileScope(ctx, scope)).reconciliation;
}

/**
 * A home's budget against its actual spending by code, and the income charged, over a pricing period
 * of its fee schedules (by label) or from `from` to `to`.
 */
export async function homeVariance(
  ctx: RequestContext,
  query: { homeId: string; period?: string | undefined; from?: string | undefined; to?: string | undefined },
) {
  const home = await visibleHome(ctx, query.homeId);
  let { from, to } = query;
  if (query.period) {
    const period = await pricingPeriod(ctx.database.db, home.id, query.period);
    if (!period) throw notFound(`No fee schedule for period ${query.period}: period`);
    from = period.period_start;
    to = period.period_end;
  }
  if (!from || !to) throw invalidQuery('/period', 'give a period (e.g. 2026-27), or from and to');
  const scope = { organisationId: home.organisation_id, homeId: home.id, from, to };
  const { reconciliation, budget } = await reconcileScope(ctx, scope);
  return {
    homeId: home.id,
    from: scope.from,
    to: scope.to,
    income: reconciliation.income,
    incomeByCouncil: reconciliation.incomeByCouncil,
    budget,
    actualCost: reconciliation.actualCost,
    missingMonths: reconciliation.missingMonths.map((missing) => missing.month),
    variance: reconciliation.variance,
  };
}

export interface FrozenReconciliation {
  id: string;
  organisationId: string;
  homeId: string | null;
  period: { start: string; end: string };
  /**
   * The settlement rule that made it: 1 for those frozen before method §7, 2 before related-party
   * excess (their figures stand as signed).
   */
  ruleVersion: number;
  /** The earlier reconciliation of the same scope and period this one replaces, if any. */
  supersedes: string | null;
  /** The later reconciliation that replaces this one, if any: read that one instead. */
  supersededBy: string | null;
  reconciliation: Reconciliation;
  hash: string;
  signature: string;
  keyId: string;
  createdBy: string;
  createdAt: string;
}

/** Why a settlement cannot be frozen (§7: only complete books of an ended period), or null. */
function unfreezable(reconciliation: Reconciliation, scope: Scope): InvalidError | null {
  const at = scope.homeId ? '/homeId' : '/organisationId';
  if (scope.homeId && reconciliation.capScope === 'organisation') {
    return invalidField(
      '/homeId',
      "the organisation's cap is tested on the whole organisation (cap scope `organisation`): freeze the organisation's reconciliation; a home's figures are for information",
    );
  }
  if (reconciliation.status === 'final') return null;
  const errors =
    reconciliation.status === 'provisional'
      ? [
          {
            pointer: '/to',
            message: `the period has not ended (it ends on ${reconciliation.period.end}): its settlement is provisional`,
            in: 'body' as const,
          },
        ]
      : reconciliation.missingMonths.map((missing) => ({
          pointer: at,
          message: `home ${missing.homeId} has no accepted actuals for ${missing.month} (import them, or a nil month)`,
          in: 'body' as const,
        }));
  const detail =
    reconciliation.status === 'provisional'
      ? 'The period has not ended: a provisional reconciliation cannot be frozen'
      : `The books are incomplete: ${reconciliation.missingMonths.length} month(s) of actuals missing; nothing can be frozen until every month has an accepted import`;
  return new InvalidError(errors, detail, {
    settlementStatus: reconciliation.status,
    missingMonths: reconciliation.missingMonths,
  });
}

/**
 * Freezes a reconciliation: stored immutably, its canonical JSON hashed (SHA-256) and signed
 * (Ed25519). Only a final settlement can be frozen (422 listing what is missing otherwise). A new
 * reconciliation of a scope and period already frozen supersedes the latest one, visibly.
 */
export async function freezeReconciliation(
  ctx: RequestContext,
  { scope, signingKey }: { scope: Scope; signingKey: SigningKey },
): Promise<FrozenReconciliation> {
  const { database, principal, requestId } = ctx;
  const reconciliation = await previewReconciliation(ctx, scope);
  const refusal = unfreezable(reconciliation, scope);
  if (refusal) throw refusal;
  const hash = documentHash(reconciliation);
  try {
    const row = await database.db.transaction().execute(async (trx) => {
      await registerSigningKey(trx, signingKey);
      // freezes of one organisation queue here, so that each supersedes the one frozen before it
      await lockOrganisation(trx, scope.organisationId);
      const previous = await latestReconciliationOf(trx, scope);
      const inserted = await insertReconciliation(trx, {
        organisation_id: scope.organisationId,
        home_id: scope.homeId ?? null,
        period_start: scope.from,
        period_end: scope.to,
        document: JSON.stringify(reconciliation),
        hash,
        signature: signHash(hash, signingKey.privateKey),
        key_id: signingKey.keyId,
        created_by: principal.actor,
        rule_version: SETTLEMENT_RULE_VERSION,
        supersedes: previous?.id ?? null,
      });
      await recordAudit(trx, {
        principal,
        requestId,
        action: 'freeze',
        resourceType: 'reconciliation',
        resourceId: inserted.id,
        organisationId: scope.organisationId,
        after: {
          hash,
          ruleVersion: SETTLEMENT_RULE_VERSION,
          capScope: reconciliation.capScope,
          outcome: reconciliation.outcome,
          excess: reconciliation.excess,
          supersedes: inserted.supersedes,
        },
      });
      return inserted;
    });
    return toFrozen(row, null);
  } catch (error) {
    // two freezes of one period at once: each would supersede the same reconciliation
    conflictOnUniqueViolation(
      error,
      'Another reconciliation of this period was frozen at the same time: try again',
    );
  }
}

function toFrozen(row: Selectable<ReconciliationsTable>, supersededBy: string | null): FrozenReconciliation {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    homeId: row.home_id,
    period: { start: row.period_start, end: row.period_end },
    ruleVersion: row.rule_version,
    supersedes: row.supersedes,
    supersededBy,
    reconciliation: row.document,
    hash: row.hash,
    signature: row.signature,
    keyId: row.key_id,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/** A frozen reconciliation as stored, with the one that supersedes it; no access check. */
export async function findReconciliation(
  ctx: PublicContext,
  id: string,
): Promise<FrozenReconciliation | undefined> {
  const row = await findReconciliationRow(ctx.database.db, id);
  if (!row) return undefined;
  return toFrozen(row, (await successorOf(ctx.database.db, id)) ?? null);
}

interface CouncilLines {
  incomeByCouncil: Array<{ councilCode: string }>;
  rebates: Array<{ councilCode: string }>;
}

/** Keeps only the given councils' income and rebate lines (a commissioner's view). */
function onlyCouncils<T extends CouncilLines>(figures: T, mine: (code: string) => boolean): T {
  return {
    ...figures,
    incomeByCouncil: figures.incomeByCouncil.filter((line) => mine(line.councilCode)),
    rebates: figures.rebates.filter((line) => mine(line.councilCode)),
  };
}

/**
 * A frozen reconciliation. A commissioner sees only its own councils' income and rebate lines, in
 * the provider's figures and each home's (404 when none of its councils paid anything); finance its
 * own organisation's.
 */
export async function getReconciliation(ctx: RequestContext, id: string): Promise<FrozenReconciliation> {
  const { principal } = ctx;
  const frozen = await findReconciliation(ctx, id);
  if (!frozen) throw notFound('Reconciliation');
  assertOrganisation(principal, frozen.organisationId, 'Reconciliation');
  if (principal.role !== 'commissioner') return frozen;
  const mine = (code: string) => principal.councils.includes(code);
  const { reconciliation } = frozen;
  if (!reconciliation.incomeByCouncil.some((line) => mine(line.councilCode)))
    throw notFound('Reconciliation');
  return {
    ...frozen,
    reconciliation: {
      ...onlyCouncils(reconciliation, mine),
      // rule 1 documents have no homes
      ...(reconciliation.homes
        ? { homes: reconciliation.homes.map((home) => onlyCouncils(home, mine)) }
        : {}),
    },
  };
}

/**
 * One council's statement of a frozen reconciliation (a commissioner: of its own councils only);
 * 404 when the council paid nothing in it.
 */
export async function councilReconciliationStatement(
  ctx: RequestContext,
  { id, councilCode }: { id: string; councilCode: string },
): Promise<CouncilReconciliationStatement> {
  const { principal } = ctx;
  if (principal.role === 'commissioner' && !principal.councils.includes(councilCode)) {
    throw notFound('Statement');
  }
  const statement = councilStatementOf(await getReconciliation(ctx, id), councilCode);
  if (!statement) throw notFound('Statement');
  return statement;
}
