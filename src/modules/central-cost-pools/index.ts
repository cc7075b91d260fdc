export { findPool } from './repository.js';
export { centralCostPoolRoutes } from './routes.js';
export { centralFromPool, withPoolParties } from './service.js';
