export { apiKeyRoutes } from './routes.js';
export { type ApiKey, apiKeyInputSchema, ONS_COUNCIL_CODE } from './schemas.js';
export { createApiKey, KEY_CHANGES_CHANNEL, KeyStore, pageApiKeys, revokeApiKey } from './service.js';
