// The ceiling of any Fastify route on this machine: one route and nothing else, in its own process,
// started by the benchmarks with the same Node.js flags as `npm start`. Plain JavaScript (no tsx), as
// the service runs compiled. Prints its address, then serves until SIGTERM.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
