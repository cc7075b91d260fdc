export { scenarioRoutes } from './routes.js';
