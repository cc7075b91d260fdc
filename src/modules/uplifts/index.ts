export { listNotices, type NoticeRow } from './repository.js';
export { upliftRoutes } from './routes.js';
export { deferrals, issueUpliftNotices } from './service.js';
