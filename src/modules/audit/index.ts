export { recordAudit } from './repository.js';
export { auditRoutes } from './routes.js';
