export { proofRoutes } from './proof-routes.js';
export { getProof, registerSigningKey, type ScheduleProof } from './proofs.js';
export {
  deferredFor,
  findFeeSchedule,
  listSchedules,
  lockForPublishing,
  plainRate,
  previousSchedule,
  scheduleInForce,
  toChargeSchedule,
  toFeeSchedule,
} from './repository.js';
export { feeScheduleRoutes } from './routes.js';
export { type FeeSchedule, type FeeScheduleSummary, feeScheduleSchema } from './schemas.js';
export { compareSchedules, ScheduleCache, storeSchedule, todayInEngland } from './service.js';
export { ephemeralSigningKey, loadOrCreateSigningKey, type SigningKey } from './signing.js';
