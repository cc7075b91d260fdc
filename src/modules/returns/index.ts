export { ANNUAL_RETURN_SCHEMA_PATH, returnRoutes } from './routes.js';
