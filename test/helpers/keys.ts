import type { FastifyInstance } from 'fastify';
import { adminAuth } from './app.js';

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Creates a key through the API as the bootstrap admin; returns the secret and its id. */
export async function createKey(
  app: FastifyInstance,
  body: { role: string; organisationId?: string; councils?: string[]; expiresAt?: string; label?: string },
): Promise<{ key: string; id: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: adminAuth,
    payload: { label: `${body.role} test key`, ...body },
  });
  if (response.statusCode !== 201) throw new Error(`could not create key: ${response.body}`);
  const created = response.json();
  return { key: created.key, id: created.id };
}

let companyCounter = 0;

export async function createOrganisation(app: FastifyInstance, name: string): Promise<string> {
  companyCounter += 1;
  const response = await app.inject({
    method: 'POST',
    url: '/v1/organisations',
    headers: adminAuth,
    payload: {
      name,
      legalForm: 'community_interest_company',
      companiesHouseNumber: String(
        10_000_000 + companyCounter + Math.floor(Math.random() * 80_000_000),
      ).slice(0, 8),
    },
  });
  if (response.statusCode !== 201) throw new Error(`could not create organisation: ${response.body}`);
  return response.json().id;
}

/** A four-place home in Wirral, registered with the given key (its own organisation for a finance key). */
export async function createHome(
  app: FastifyInstance,
  headers: Record<string, string>,
  name: string,
): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/homes',
    headers,
    payload: { name, hostCouncil: 'E08000015', registeredPlaces: 4, openedOn: '2020-01-01' },
  });
  if (response.statusCode !== 201) throw new Error(`could not create home: ${response.body}`);
  return response.json().id;
}
