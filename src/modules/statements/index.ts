export { statementRoutes } from './routes.js';
