export { finishedImport } from './repository.js';
export { actualsRoutes } from './routes.js';
