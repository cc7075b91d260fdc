import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ATOM_CONTENT_TYPE, ATOM_MEDIA_TYPE } from '../../formats/atom.js';
import { notModified } from '../../http/conditional.js';
import { publicContextOf } from '../../http/context.js';
import { problemSchema } from '../../http/problem.js';
import {
  councilFeed,
  FEED_LIMIT,
  FEED_SOURCES,
  type FeedReader,
  type FeedSource,
  organisationFeed,
  type ServedFeed,
} from './service.js';

// Public unless PUBLIC_TRANSPARENCY=false; a finance key sees its own organisation only.
const published = { access: { transparency: true } } as const;

const feedResponses = (description: string) => ({
  200: {
    description,
    content: { [ATOM_MEDIA_TYPE]: { schema: z.string().describe('An Atom 1.0 feed document (RFC 4287)') } },
  },
  304: z.null().describe('Not modified: the If-None-Match tag is the current one'),
  404: problemSchema,
});

/** `https://host[:port]` as the request addressed the service: what the feed's links are made absolute against. */
function baseUrlOf(request: FastifyRequest): string {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return `${request.protocol}://localhost`;
  }
}

export interface FeedRouteOptions {
  /** The entry sources of the feeds (default FEED_SOURCES). */
  sources?: readonly FeedSource[];
}

/** Atom feeds of published fee schedules: a provider's, and a council's. */
export const feedRoutes: FastifyPluginAsyncZod<FeedRouteOptions> = async (app, options) => {
  const sources = options.sources ?? FEED_SOURCES;
  const readerOf = (request: FastifyRequest): FeedReader => ({
    ...publicContextOf(app, request),
    principal: request.principal,
    baseUrl: baseUrlOf(request),
  });

  /** The feed with its ETag; 304 when the caller's copy is current. The body depends on the key: Vary. */
  const send = (request: FastifyRequest, reply: FastifyReply, feed: ServedFeed) => {
    reply
      .header('etag', feed.etag)
      .header('cache-control', `${feed.private ? 'private' : 'public'}, max-age=300`)
      .header('vary', 'authorization');
    if (notModified(request, feed.etag)) return reply.code(304).send();
    return reply.type(ATOM_CONTENT_TYPE).send(feed.body);
  };

  app.get(
    '/v1/organisations/:id/feed',
    {
      config: published,
      schema: {
        operationId: 'getOrganisationFeed',
        tags: ['fee-schedules'],
        summary: "A provider's Atom feed of its published fee schedules",
        description: `The fee schedules the organisation has published, newest first (the latest ${FEED_LIMIT}), as Atom 1.0 for a feed reader: each entry links to the home's transparency page and to the schedule as JSON. Strong ETag (304 on If-None-Match). A finance key sees its own organisation's feed only.`,
        params: z.object({ id: z.uuid({ message: 'must be a UUID' }) }),
        response: feedResponses("The organisation's feed"),
      },
    },
    async (request, reply) =>
      send(request, reply, await organisationFeed(readerOf(request), request.params.id, sources)),
  );

  app.get(
    '/v1/councils/:code/feed',
    {
      config: published,
      schema: {
        operationId: 'getCouncilFeed',
        tags: ['fee-schedules'],
        summary: "A council's Atom feed of fee schedules",
        description: `Without a key (or with one that may not see this council): the fee schedules published for homes in the council's area, newest first (the latest ${FEED_LIMIT}). With the council's own key (a commissioner key for it, or an admin key): also those of the homes where it has a child placed today, which is not public (sent \`Cache-Control: private\`). A finance key sees its own organisation's homes only. Strong ETag (304 on If-None-Match); \`Vary: Authorization\`.`,
        params: z.object({ code: z.string().max(9).describe('The ONS code of the council, e.g. E08000015') }),
        response: feedResponses("The council's feed"),
      },
    },
    async (request, reply) =>
      send(request, reply, await councilFeed(readerOf(request), request.params.code, sources)),
  );
};
