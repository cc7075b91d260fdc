import { createHash } from 'node:crypto';
import { conflictOnUniqueViolation, InvalidError, invalidField } from '../../core/errors.js';
import type { DatabaseHandle } from '../../db/database.js';
import { canonicalJson, signHash } from '../../domain/proofs.js';
import { budgetFromSchedules } from '../../domain/reconciliation/budget.js';
import { type VarianceLine, varianceByCode } from '../../domain/reconciliation/index.js';
import { settleBooks } from '../../domain/settlement/books.js';
import { SETTLEMENT_RULE_VERSION, type Settlement } from '../../domain/settlement/index.js';
import { assertOrganisation, notFound, type Principal } from '../../http/auth.js';
import { recordAudit } from '../audit/repository.js';
import { registerSigningKey } from '../fee-schedules/proofs.js';
import type { SigningKey } from '../fee-schedules/signing.js';
import { rateTables } from '../rates/repository.js';
import { loadBooks } from '../settlements/repository.js';

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
 * import of each month) and the budget pro rata from the schedules in force. `today` decides whether
 * the period has ended.
 */
export async function reconcileScope(
  database: DatabaseHandle,
  principal: Principal,
  scope: Scope,
  today: string,
): Promise<{ reconciliation: Reconciliation; budget: Array<{ code: string; amount: string }> }> {
  assertOrganisation(principal, scope.organisationId, 'Organisation');
  if (scope.to < scope.from) throw invalidField('/to', 'must not be before from');
  const { db } = database;
  if (scope.homeId) {
    const home = await db
      .selectFrom('homes')
      .select('id')
      .where('id', '=', scope.homeId)
      .where('organisation_id', '=', scope.organisationId)
      .executeTakeFirst();
    if (!home) throw notFound('Home');
  }
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

export async function previewReconciliation(
  database: DatabaseHandle,
  principal: Principal,
  scope: Scope,
  today: string,
): Promise<Reconciliation> {
  return (await reconcileScope(database, principal, scope, today)).reconciliation;
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
  database: DatabaseHandle,
  signingKey: SigningKey,
  principal: Principal,
  requestId: string,
  scope: Scope,
  today: string,
): Promise<FrozenReconciliation> {
  const reconciliation = await previewReconciliation(database, principal, scope, today);
  const refusal = unfreezable(reconciliation, scope);
  if (refusal) throw refusal;
  const hash = createHash('sha256').update(canonicalJson(reconciliation)).digest('hex');
  try {
    const row = await database.db.transaction().execute(async (trx) => {
      await registerSigningKey(trx, signingKey);
      // freezes of one organisation queue here, so that each supersedes the one frozen before it
      await trx
        .selectFrom('organisations')
        .select('id')
        .where('id', '=', scope.organisationId)
        .forUpdate()
        .executeTakeFirst();
      const previous = await trx
        .selectFrom('reconciliations as r')
        .select('r.id')
        .where('r.organisation_id', '=', scope.organisationId)
        .where((eb) => (scope.homeId ? eb('r.home_id', '=', scope.homeId) : eb('r.home_id', 'is', null)))
        .where('r.period_start', '=', scope.from)
        .where('r.period_end', '=', scope.to)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('reconciliations as later')
                .select('later.id')
                .whereRef('later.supersedes', '=', 'r.id'),
            ),
          ),
        )
        .orderBy('r.created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
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
          rule_version: SETTLEMENT_RULE_VERSION,
          supersedes: previous?.id ?? null,
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

interface ReconciliationRow {
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
  rule_version: number;
  supersedes: string | null;
}

function toFrozen(row: ReconciliationRow, supersededBy: string | null): FrozenReconciliation {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    homeId: row.home_id,
    period: { start: row.period_start, end: row.period_end },
    ruleVersion: row.rule_version,
    supersedes: row.supersedes,
    supersededBy,
    reconciliation: row.document as Reconciliation,
    hash: row.hash,
    signature: row.signature,
    keyId: row.key_id,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/** A frozen reconciliation as stored, with the one that supersedes it; no access check. */
export async function findReconciliation(
  database: DatabaseHandle,
  id: string,
): Promise<FrozenReconciliation | undefined> {
  const row = await database.db
    .selectFrom('reconciliations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const successor = await database.db
    .selectFrom('reconciliations')
    .select('id')
    .where('supersedes', '=', id)
    .executeTakeFirst();
  return toFrozen(row, successor?.id ?? null);
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
export async function getReconciliation(
  database: DatabaseHandle,
  principal: Principal,
  id: string,
): Promise<FrozenReconciliation> {
  const frozen = await findReconciliation(database, id);
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
