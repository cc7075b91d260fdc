export { findCouncil } from './repository.js';
export { councilRoutes } from './routes.js';
