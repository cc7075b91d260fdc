export { findOrganisation } from './repository.js';
export { organisationRoutes } from './routes.js';
