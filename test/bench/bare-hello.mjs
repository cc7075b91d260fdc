// The ceiling of any Fastify route on this machine: one route and nothing else, in its own process,
// started by the benchmarks with the same Node.js flags as `npm start`. Plain JavaScript (no tsx), as
// the service runs compiled. Prints its address, then serves until SIGTERM.
//
// BARE_PAYLOAD_DIR (optional): for each file there, `GET /bytes/<file>` answers with its bytes and
// `POST /bytes/<file>` parses a JSON body (Fastify's own parser) and answers with them, as
// application/json. That is the ceiling for a route of the service answering with the same bytes: what
// any Fastify route pays to read such a request and write such an answer, with no work in between.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
const payloadDir = process.env.BARE_PAYLOAD_DIR;
for (const name of payloadDir ? readdirSync(payloadDir) : []) {
  const bytes = readFileSync(path.join(payloadDir, name));
  const answer = (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').send(bytes);
  };
  app.get(`/bytes/${name}`, answer);
  app.post(`/bytes/${name}`, answer);
}
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
