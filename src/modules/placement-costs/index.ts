export { placementCostRoutes } from './routes.js';
export { placementCostsJsonSchema } from './schemas.js';
