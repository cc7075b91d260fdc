import type { FastifyInstance } from 'fastify';
import { injectOk } from './app.js';
import { exampleModel } from './books.js';
import { bearer, createHome, createKey, createOrganisation } from './keys.js';

export interface Provider {
  organisationId: string;
  finance: Record<string, string>;
  homeId: string;
  /** The draft of the Wirral example, as POST /v1/homes/{id}/cost-models answered. */
  draft: { id: string; version: number; document: Record<string, unknown> };
}

/** An organisation of its own, with a finance key, a home and a draft of the Wirral example. */
export async function wirralProvider(app: FastifyInstance, name: string): Promise<Provider> {
  const organisationId = await createOrganisation(app, name);
  const finance = bearer((await createKey(app, { role: 'finance', organisationId })).key);
  const homeId = await createHome(app, finance, `${name} House`);
  const draft = (
    await injectOk(
      app,
      {
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: finance,
        payload: exampleModel('wirral-four-bed-2026-27'),
      },
      201,
    )
  ).json() as Provider['draft'];
  return { organisationId, finance, homeId, draft };
}

/** A provider of `wirralProvider` whose draft is published, effective 1 April 2026: its schedule. */
export async function publishedProvider(app: FastifyInstance, name: string) {
  const provider = await wirralProvider(app, name);
  const schedule = (
    await injectOk(
      app,
      {
        method: 'POST',
        url: `/v1/cost-models/${provider.draft.id}/publish`,
        headers: { ...provider.finance, 'idempotency-key': `publish-${provider.homeId}` },
        payload: { effectiveFrom: '2026-04-01' },
      },
      201,
    )
  ).json() as { id: string; weeklyFeePerChild: string; model: Record<string, unknown>; breakdown: never };
  return { ...provider, schedule };
}
