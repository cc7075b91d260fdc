export { upliftRoutes } from './routes.js';
export { deferrals, issueUpliftNotices } from './service.js';
