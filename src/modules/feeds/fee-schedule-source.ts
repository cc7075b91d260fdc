import { longDate } from '../../core/dates.js';
import { exact, formatExact, formatGbp, subtractExact } from '../../domain/money.js';
import { currentPlacements } from '../placements/index.js';
import { type FeedHomes, type FeedScheduleRow, publishedSchedules } from './repository.js';
import type { FeedEntry, FeedSource, FeedSourceContext, FeedSubject } from './service.js';

/** How the weekly fee moved from the previous schedule, in the figures stored: no pricing. */
function changeSentence(row: FeedScheduleRow): string {
  const { previous } = row;
  if (!previous) return 'The first fee schedule published for this home.';
  const was = `${formatGbp(previous.weeklyFeePerChild)} a week from ${longDate(previous.effectiveFrom)}`;
  const difference = subtractExact(exact(row.weeklyFeePerChild), exact(previous.weeklyFeePerChild));
  if (difference.units === 0n) return `Unchanged from the previous schedule (${was}).`;
  const by = formatGbp(
    formatExact({ ...difference, units: difference.units < 0n ? -difference.units : difference.units }),
  );
  return `${difference.units > 0n ? 'Up' : 'Down'} ${by} a week from the previous schedule (${was}).`;
}

/** A published fee schedule as a feed entry; `placedBy` names the council reading when it places a child there. */
export function scheduleEntry(row: FeedScheduleRow, placedBy?: string): FeedEntry {
  const fee = formatGbp(row.weeklyFeePerChild);
  const from = longDate(row.effectiveFrom);
  const publishedAt = row.publishedAt.toISOString();
  const summary = [
    `${row.homeName}, run by ${row.organisationName}: weekly fee per child ${fee}, in force from ${from}.`,
    `Fee schedule for ${row.periodLabel} (${longDate(row.periodStart)} to ${longDate(row.periodEnd)}), version ${row.version}.`,
    changeSentence(row),
    ...(placedBy ? [`${placedBy} has a child placed in this home today.`] : []),
  ].join(' ');
  return {
    id: `urn:uuid:${row.id}`,
    title: `${row.homeName}: ${fee} a week from ${from} (version ${row.version})`,
    updated: publishedAt,
    published: publishedAt,
    links: [
      {
        rel: 'alternate',
        type: 'text/html',
        href: `/transparency/homes/${row.homeId}`,
        title: `${row.homeName}: fee and breakdown`,
      },
      {
        rel: 'related',
        type: 'application/json',
        href: `/v1/fee-schedules/${row.id}`,
        title: 'The fee schedule: frozen cost model and breakdown',
      },
    ],
    summary,
    categories: [
      { term: 'fee-schedule', label: 'Fee schedule' },
      ...(placedBy ? [{ term: 'placement', label: `${placedBy} has a child placed here` }] : []),
    ],
    author: { name: row.organisationName, uri: `/v1/organisations/${row.organisationId}/feed` },
  };
}

/** The homes where the council has a placement open today (private to the council). */
async function homesPlacedOn(ctx: FeedSourceContext, councilCode: string): Promise<string[]> {
  const placements = await currentPlacements(ctx.database.db, {
    councilCodes: [councilCode],
    overlapping: { from: ctx.today, to: ctx.today },
  });
  return [...new Set(placements.map((placement) => placement.home_id))];
}

/**
 * Published fee schedules: an organisation's; for a council, those of the homes in its area and, for
 * the council itself only, those of the homes where it has a child placed today.
 */
export const feeScheduleSource: FeedSource = {
  name: 'fee-schedules',
  feeds: ['organisation', 'council'],
  audience: 'public',
  async entries(ctx: FeedSourceContext, subject: FeedSubject, limit: number) {
    const { db } = ctx.database;
    if (subject.kind === 'organisation') {
      const rows = await publishedSchedules(db, { organisationId: subject.organisationId }, limit);
      return rows.map((row) => scheduleEntry(row));
    }
    const placed = subject.audience === 'council' ? await homesPlacedOn(ctx, subject.councilCode) : [];
    const homes: FeedHomes = {
      hostCouncil: subject.councilCode,
      organisationId: subject.organisationId,
      alsoHomeIds: placed,
    };
    const placedHomes = new Set(placed);
    const rows = await publishedSchedules(db, homes, limit);
    return rows.map((row) => scheduleEntry(row, placedHomes.has(row.homeId) ? subject.name : undefined));
  },
};
