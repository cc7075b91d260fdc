import type { RequestContext } from '../../core/context.js';
import { InvalidError, type Issue } from '../../core/errors.js';
import { dayOf } from '../../domain/charges/index.js';
import { PLACEMENT_COST_RULE, placementCostSpans } from '../../domain/placement-costs/index.js';
import { visibleCouncil } from '../councils/index.js';
import { todayInEngland } from '../fee-schedules/index.js';
import { chargeCouncil } from '../statements/charges.js';
import type { PlacementCosts } from './schemas.js';

/** What is asked: one day (`on`, default today in England) or a period (`from` and `to`), never both. */
export interface PlacementCostsQuery {
  councilCode: string;
  on?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** A period covers at most three years, as a statement does. */
const MAX_DAYS = 3 * 366;

/**
 * The days asked for: `on` alone, or `from` and `to` together, or neither (today in England). A
 * combination the query's schema cannot refuse alone is a 422 with a pointer per offending parameter.
 */
function rangeOf(
  { on, from, to }: Omit<PlacementCostsQuery, 'councilCode'>,
  today: string,
): { from: string; to: string } {
  const issues: Issue[] = [];
  if (on !== undefined && (from !== undefined || to !== undefined))
    issues.push({ pointer: '/on', message: 'give either on, or from and to, not both' });
  else if (from !== undefined && to === undefined)
    issues.push({ pointer: '/to', message: 'is required with from' });
  else if (to !== undefined && from === undefined)
    issues.push({ pointer: '/from', message: 'is required with to' });
  else if (from !== undefined && to !== undefined) {
    const days = dayOf(to)! - dayOf(from)! + 1;
    if (days < 1) issues.push({ pointer: '/to', message: 'must not be before from' });
    else if (days > MAX_DAYS) issues.push({ pointer: '/to', message: 'a period covers at most three years' });
  }
  if (issues.length > 0) throw new InvalidError(issues);
  if (from !== undefined && to !== undefined) return { from, to };
  const day = on ?? today;
  return { from: day, to: day };
}

/**
 * A council's placements' weekly costs in the SocialCareData placements standard's shape, per span of
 * days over which they are constant: the council's placements (a finance key: in its organisation's
 * homes) charged by the charging rule (chargePlacements, src/domain/charges), whose lines are grouped
 * and split by src/domain/placement-costs. A commissioner sees its own councils only (another: 404).
 */
export async function councilPlacementCosts(
  ctx: RequestContext,
  query: PlacementCostsQuery,
): Promise<PlacementCosts> {
  const { councilCode } = query;
  const council = await visibleCouncil(ctx, councilCode);
  const { from, to } = rangeOf(query, todayInEngland(ctx.clock()));
  const charged = await chargeCouncil(ctx, councilCode, from, to);
  const homes = new Map(charged.homes.map((home) => [home.id, home]));
  const { spans, unpriced } = placementCostSpans({
    placements: charged.charges.placements,
    schedules: charged.schedules,
  });
  const startOf = new Map(charged.placements.map((row) => [row.id, row.start_date]));
  return {
    council: { onsCode: council.ons_code, name: council.name },
    from,
    to,
    rule: PLACEMENT_COST_RULE,
    records: spans.map(({ costs, ...span }) => {
      const home = homes.get(span.homeId);
      return {
        placementId: span.placementId,
        reference: span.reference,
        homeId: span.homeId,
        homeName: home?.name ?? '',
        from: span.from,
        to: span.to,
        days: span.days,
        heldOver: span.heldOver,
        feeSchedule: span.feeSchedule,
        enhancements: span.enhancements,
        actualPlacement: {
          providerURN: home?.ofsted_urn ?? null,
          placementType: 'Residential' as const,
          placementStartDate: startOf.get(span.placementId)!,
          placementSource: null,
          ...costs,
        },
      };
    }),
    unpriced: unpriced.map((run) => ({
      placementId: run.placementId,
      reference: run.reference,
      homeId: run.homeId,
      homeName: homes.get(run.homeId)?.name ?? '',
      kind: run.kind,
      ...(run.enhancementId !== undefined ? { enhancementId: run.enhancementId } : {}),
      from: run.from,
      to: run.to,
      days: run.days,
      reason: run.reason,
      ...(run.scheduleId !== undefined ? { scheduleId: run.scheduleId } : {}),
    })),
  };
}
