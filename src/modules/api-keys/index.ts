export { apiKeyRoutes } from './routes.js';
export { type ApiKey, apiKeyInputSchema, ONS_COUNCIL_CODE } from './schemas.js';
export { createApiKey, KeyStore, pageApiKeys, revokeApiKey } from './service.js';
