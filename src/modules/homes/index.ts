export { findHome, homesById, homesOpenIn } from './repository.js';
export { homeRoutes } from './routes.js';
export { isoDate } from './schemas.js';
export { visibleHome } from './service.js';
