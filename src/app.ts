import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/database.js';
import { listenForNotifications } from './db/notifications.js';
import { registerApiDocs } from './http/api-docs.js';
import { authPlugin } from './http/auth.js';
import { DEFAULT_FAILURE_LIMIT } from './http/auth-failures.js';
import { createHttpApp } from './http/instance.js';
import { actualsRoutes } from './modules/actuals/index.js';
import { apiKeyRoutes, KEY_CHANGES_CHANNEL, KeyStore } from './modules/api-keys/index.js';
import { auditRoutes } from './modules/audit/index.js';
import { centralCostPoolRoutes } from './modules/central-cost-pools/index.js';
import { costModelRoutes } from './modules/cost-models/index.js';
import { councilRoutes } from './modules/councils/index.js';
import {
  ephemeralSigningKey,
  feeScheduleRoutes,
  proofRoutes,
  type SigningKey,
} from './modules/fee-schedules/index.js';
import { feedRoutes } from './modules/feeds/index.js';
import { healthRoutes } from './modules/health/index.js';
import { homeRoutes } from './modules/homes/index.js';
import { organisationRoutes } from './modules/organisations/index.js';
import { placementCostRoutes } from './modules/placement-costs/index.js';
import { placementRoutes } from './modules/placements/index.js';
import { addQuoteExamples, quoteRoutes } from './modules/quotes/index.js';
import { rateRoutes } from './modules/rates/index.js';
import { reconciliationRoutes } from './modules/reconciliations/index.js';
import { relatedPartyRoutes } from './modules/related-parties/index.js';
import { bundleReturnSchema, returnRoutes } from './modules/returns/index.js';
import { scenarioRoutes } from './modules/scenarios/index.js';
import { statementRoutes } from './modules/statements/index.js';
import { upliftRoutes } from './modules/uplifts/index.js';
import { FAVICON_SVG } from './web/favicon.js';
import { transparencyRoutes } from './web/routes.js';

export interface AppDependencies {
  config: Config;
  database: DatabaseHandle;
  /** A logger made by the caller (server.ts shares it with the database pool); else one is made. */
  logger?: Logger;
  /** The key that signs published schedules; an ephemeral one when not given (tests, tools). */
  signingKey?: SigningKey;
  /** Close the database when the app closes (default true: the app owns it). */
  closeDatabase?: boolean;
  /** What time it is (tests fix it); the domain never reads a clock, the services ask this one. */
  clock?: () => Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: DatabaseHandle;
    keyStore: KeyStore;
    signingKey: SigningKey;
    clock: () => Date;
  }
}

export async function buildApp({
  config,
  database,
  logger,
  signingKey,
  closeDatabase = true,
  clock = () => new Date(),
}: AppDependencies): Promise<FastifyInstance> {
  const app = await createHttpApp(config, logger);

  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate('signingKey', signingKey ?? ephemeralSigningKey());
  app.decorate('clock', clock);
  if (closeDatabase) app.addHook('onClose', async () => database.close());
  const keyStore = new KeyStore(database, config.API_KEY_CACHE_SECONDS, (error) =>
    app.log.warn({ err: error }, 'could not record when an API key was last used'),
  );
  app.decorate('keyStore', keyStore);
  // PostgreSQL: every instance forgets a key when any instance (or the CLI) changes it, told by a
  // NOTIFY sent in the changing transaction; on each (re)connection it forgets them all, since what
  // was sent meanwhile is lost. PGlite is one process: the revoking route's own forget is enough.
  if (database.engine === 'postgres' && config.DATABASE_URL) {
    const keyChanges = listenForNotifications({
      connectionString: config.DATABASE_URL,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      channel: KEY_CHANGES_CHANNEL,
      onNotification: (keyId) => (keyId ? keyStore.forget(keyId) : keyStore.forgetAll()),
      onConnect: () => keyStore.forgetAll(),
      log: app.log,
    });
    // Serve once listening, or after DATABASE_CONNECT_TIMEOUT_MS without (keys are then cached for
    // API_KEY_CACHE_SECONDS at most, and all forgotten when it connects).
    app.addHook('onReady', async () => {
      await keyChanges.listening(config.DATABASE_CONNECT_TIMEOUT_MS);
    });
    app.addHook('onClose', () => keyChanges.stop());
  }
  // Before swagger and the routes: its onRoute hook writes each route's access into the OpenAPI document.
  await app.register(authPlugin, {
    adminApiKey: config.ADMIN_API_KEY,
    publicTransparency: config.PUBLIC_TRANSPARENCY,
    // looked up on the store at each call, so that a test can watch it
    verifyKey: (presented) => app.keyStore.verify(presented),
    // Failed authentications per client address before 429, checked before any key is looked up. A
    // failed authentication is anonymous traffic: never more of it than RATE_LIMIT_ANONYMOUS_PER_MINUTE
    // allows, and none of this limit when that one is off (0: e.g. behind a proxy that limits, where
    // every caller has the proxy's address).
    failureLimit: {
      ...DEFAULT_FAILURE_LIMIT,
      max: Math.min(DEFAULT_FAILURE_LIMIT.max, config.RATE_LIMIT_ANONYMOUS_PER_MINUTE),
    },
  });

  await registerApiDocs(app, (document) => addQuoteExamples(bundleReturnSchema(document)), {
    favicon: FAVICON_SVG,
  });

  await app.register(healthRoutes);
  await app.register(quoteRoutes);
  await app.register(rateRoutes);
  await app.register(organisationRoutes);
  await app.register(apiKeyRoutes);
  await app.register(auditRoutes);
  await app.register(councilRoutes);
  await app.register(homeRoutes);
  await app.register(relatedPartyRoutes);
  await app.register(centralCostPoolRoutes);
  await app.register(costModelRoutes);
  await app.register(feeScheduleRoutes);
  await app.register(proofRoutes);
  await app.register(feedRoutes);
  await app.register(placementRoutes);
  await app.register(statementRoutes);
  await app.register(placementCostRoutes);
  await app.register(upliftRoutes);
  await app.register(scenarioRoutes);
  await app.register(actualsRoutes);
  await app.register(reconciliationRoutes);
  await app.register(returnRoutes);
  await app.register(transparencyRoutes);

  return app;
}
