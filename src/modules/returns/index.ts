export { ANNUAL_RETURN_SCHEMA_PATH, bundleReturnSchema, returnRoutes } from './routes.js';
