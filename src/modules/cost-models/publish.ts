import type { RequestContext } from '../../core/context.js';
import { invalidField, notFound, StaleError } from '../../core/errors.js';
import type { CostModel } from '../../domain/pricing/index.js';
import { recordAudit } from '../audit/index.js';
import type { FeeSchedule, SigningKey } from '../fee-schedules/index.js';
import {
  findFeeSchedule,
  lockForPublishing,
  previousSchedule,
  storeSchedule,
  todayInEngland,
  toFeeSchedule,
} from '../fee-schedules/index.js';
import { claimIdempotencyKey, requestHash } from '../idempotency/index.js';
import { assertRegisterAgrees } from '../related-parties/index.js';
import { issueUpliftNotices } from '../uplifts/index.js';
import { findCostModel } from './repository.js';
import type { PublishInput } from './schemas.js';
import { priceDraft, visibleCostModel } from './service.js';

export interface Published {
  schedule: FeeSchedule;
  replayed: boolean;
}

/**
 * Publishes a draft as an immutable fee schedule: the model frozen as it is now, its breakdown, the
 * next version for the home and period, its proof on the organisation's chain. Idempotent per
 * (caller, Idempotency-Key); publishes of one organisation, then of one home, queue on row locks, so
 * no two get the same version or the same place in the chain.
 */
export async function publish(
  ctx: RequestContext,
  {
    costModelId,
    idempotencyKey,
    input,
    signingKey,
  }: { costModelId: string; idempotencyKey: string; input: PublishInput; signingKey: SigningKey },
): Promise<Published> {
  const { principal } = ctx;
  const draft = await visibleCostModel(ctx, costModelId);
  const hash = requestHash(`publish ${costModelId}`, input);
  const result = await ctx.database.db.transaction().execute(async (trx) => {
    const claim = await claimIdempotencyKey(trx, principal.actor, idempotencyKey, 'publish', hash);
    if (claim.replayOf !== undefined) {
      const existing = await findFeeSchedule(trx, claim.replayOf);
      if (!existing) throw notFound('Fee schedule');
      return { row: existing, replayed: true };
    }
    await lockForPublishing(trx, draft.organisation_id, draft.home_id);
    // the draft as it is now, under the locks
    const current = await findCostModel(trx, costModelId);
    if (!current) throw notFound('Cost model');
    if (input.costModelVersion !== undefined && input.costModelVersion !== current.version)
      throw new StaleError(current.version);
    if (input.effectiveFrom < current.period_start || input.effectiveFrom > current.period_end) {
      throw invalidField(
        '/effectiveFrom',
        `must be within the cost model's period, ${current.period_start} to ${current.period_end}`,
      );
    }
    const breakdown = priceDraft(current);
    // the document the engine has just priced (priceDraft)
    const model = current.document as CostModel;
    // §6 the register may have changed since the draft was saved (a party ended, renamed)
    await assertRegisterAgrees(trx, current.organisation_id, model);
    const row = await storeSchedule(
      trx,
      {
        id: claim.resourceId,
        homeId: current.home_id,
        organisationId: current.organisation_id,
        costModelId: current.id,
        costModelVersion: current.version,
        period: { label: current.period_label, start: current.period_start, end: current.period_end },
        effectiveFrom: input.effectiveFrom,
        weeklyFeePerChild: breakdown.weeklyFeePerChild,
        surplusRate: model.surplus.rate,
        methodVersion: breakdown.methodVersion, // §7 2 when the model gives its central share
        model,
        breakdown,
        publishedBy: principal.actor,
        publishedByKeyId: principal.keyId,
        // The instant of publication, set here at the precision it is served with, as it is hashed. Not
        // ctx.clock(), which fixes "today" (tests fix it to one instant): schedules with the same
        // effectiveFrom are told apart by this instant (the later published is in force, and is
        // compared with the one published before it), so two publishes must never share it.
        publishedAt: new Date(),
      },
      signingKey,
    );
    // each council placing at the home is given notice of the new fee, in the same transaction
    const notices = await issueUpliftNotices(trx, {
      schedule: row,
      previous: await previousSchedule(trx, row),
      issuedOn: todayInEngland(ctx.clock()),
      signingKey,
    });
    await recordAudit(trx, {
      principal,
      requestId: ctx.requestId,
      action: 'publish',
      resourceType: 'fee_schedule',
      resourceId: row.id,
      organisationId: row.organisation_id,
      after: {
        homeId: row.home_id,
        costModelId: row.cost_model_id,
        costModelVersion: row.cost_model_version,
        version: row.version,
        effectiveFrom: row.effective_from,
        weeklyFeePerChild: row.weekly_fee_per_child,
        upliftNotices: notices.map((notice) => ({ id: notice.id, councilCode: notice.council.onsCode })),
      },
    });
    return { row, replayed: false };
  });
  return { schedule: toFeeSchedule(result.row), replayed: result.replayed };
}
