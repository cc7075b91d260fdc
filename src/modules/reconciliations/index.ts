export { reconciliationRoutes } from './routes.js';
export { findReconciliation } from './service.js';
