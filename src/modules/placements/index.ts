export { currentPlacements, toChargePlacement } from './repository.js';
export { placementRoutes } from './routes.js';
