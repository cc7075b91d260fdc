import { longDate } from '../../core/dates.js';
import { formatGbp } from '../../domain/money.js';
import { listNotices, type NoticeRow } from '../uplifts/index.js';
import type { FeedEntry, FeedSource } from './service.js';

/** What the council's framework would allow, beside the new fee, in the notice's own figures. */
function frameworkSentence(notice: NoticeRow['document']): string {
  const { framework, comparison } = notice;
  if (framework === null) return 'No uplift formula is recorded for the council.';
  const difference = comparison.newFeeLessFrameworkFee;
  if (comparison.frameworkFee === null || difference === null) {
    const missing = framework.uplifts.flatMap((uplift) => uplift.missing).join('; ');
    return `${framework.name}: no framework fee (${missing}).`;
  }
  const below = difference.startsWith('-');
  const by = formatGbp(below ? difference.slice(1) : difference);
  const relation = /^-?0\.00$/.test(difference) ? 'equal to it' : `${by} ${below ? 'below' : 'above'} it`;
  return `${framework.name} would allow ${formatGbp(comparison.frameworkFee)} a week; the new fee is ${relation}.`;
}

/** An uplift notice as an entry of its council's own feed: the figures it signed, nothing worked out anew. */
export function noticeEntry(row: NoticeRow): FeedEntry {
  const notice = row.document;
  const { comparison } = notice;
  const issuedAt = row.created_at.toISOString();
  const framework = frameworkSentence(notice);
  return {
    id: `urn:uuid:${notice.id}`,
    title: `Uplift notice: ${notice.home.name}, ${formatGbp(comparison.oldFee)} → ${formatGbp(comparison.newFee)} a week from ${longDate(notice.appliesFrom)}`,
    updated: issuedAt,
    published: issuedAt,
    links: [
      {
        rel: 'alternate',
        type: 'text/html',
        href: `/v1/uplift-notices/${notice.id}?format=html`,
        title: 'The notice, to print',
      },
      {
        rel: 'related',
        type: 'application/json',
        href: `/v1/uplift-notices/${notice.id}`,
        title: 'The signed notice',
      },
    ],
    summary: [
      `${notice.organisation.name} gives ${notice.council.name} notice, on ${longDate(notice.issuedOn)}, of a new weekly fee per child at ${notice.home.name}: ${formatGbp(comparison.newFee)} (was ${formatGbp(comparison.oldFee)}), applying to the council's placements from ${longDate(notice.appliesFrom)}.`,
      framework,
      row.acknowledged_at === null ? 'Not yet acknowledged.' : `Acknowledged by ${row.acknowledged_by}.`,
    ].join(' '),
    categories: [{ term: 'uplift-notice', label: 'Uplift notice' }],
    author: { name: notice.organisation.name, uri: `/v1/organisations/${notice.organisation.id}/feed` },
  };
}

/** A council's uplift notices, in its own feed only (the source is never asked for a public feed). */
export const upliftNoticeSource: FeedSource = {
  name: 'uplift-notices',
  feeds: ['council'],
  audience: 'council',
  async entries(ctx, subject, limit) {
    if (subject.kind !== 'council') return [];
    const rows = await listNotices(ctx.database.db, { councilCodes: [subject.councilCode], limit });
    return rows.slice(0, limit).map(noticeEntry);
  },
};
