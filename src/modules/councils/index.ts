export { findCouncil } from './repository.js';
export { councilRoutes } from './routes.js';
export { visibleCouncil } from './service.js';
