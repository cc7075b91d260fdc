export { costModelRoutes } from './routes.js';
