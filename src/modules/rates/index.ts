export { rateTables } from './repository.js';
export { rateRoutes } from './routes.js';
