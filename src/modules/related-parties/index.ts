export { partiesByReference, type RelatedPartyRow } from './repository.js';
export { relatedPartyRoutes } from './routes.js';
export { assertRegisterAgrees, modelPartyOf } from './service.js';
