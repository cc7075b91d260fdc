export { scheduleEntry } from './fee-schedule-source.js';
export { type FeedRouteOptions, feedRoutes } from './routes.js';
export {
  collectEntries,
  councilFeed,
  FEED_LIMIT,
  FEED_SOURCES,
  type FeedEntry,
  type FeedLink,
  type FeedReader,
  type FeedSource,
  type FeedSourceContext,
  type FeedSubject,
  feedUrn,
  maySeeCouncil,
  mergeEntries,
  organisationFeed,
  type ServedFeed,
} from './service.js';
