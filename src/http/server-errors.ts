import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem, problemTypes } from './problem.js';

/**
 * What Node's HTTP server answers by itself, before Fastify sees a request, made into problem
 * documents like every other error: a request it cannot parse (clientError), and an Expect header it
 * cannot meet (checkExpectation). A missing Host header, which Node would also answer by itself with
 * an empty 400, is left to the app (requireHostHeader: false in app.ts, hostRequired below).
 */

const CONTENT_TYPE = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;

/** The status and problem for an error of Node's HTTP parser or of its request timers. */
function clientProblem(code: string) {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'The request was not received in time', problemTypes.timeout);
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, 'The request line and header fields together are too large');
    case 'HPE_INVALID_METHOD':
      return problem(400, 'The request method is not one this server can read', problemTypes.malformed);
    case 'HPE_INVALID_URL':
      return problem(400, 'The request target is not a valid URL', problemTypes.malformed);
    default:
      return problem(400, 'The request is not well-formed HTTP/1.1', problemTypes.malformed);
  }
}

/**
 * Fastify's clientErrorHandler: a minimal HTTP/1.1 response with a problem document, then the
 * connection is closed (the parser cannot go on after such an error). Bound to the Fastify instance.
 */
export function clientErrorHandler(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  // A reset connection has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Only the code: the error carries the raw bytes received, which may hold an Authorization header.
  this.log.debug({ code: error.code }, 'client error');
  const inProgress = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || inProgress?.headersSent) {
    // a response is already under way on this connection: a second status line would corrupt it
    socket.destroy();
    return;
  }
  const answer = clientProblem(error.code);
  const body = JSON.stringify(answer);
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
      `Content-Type: ${CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n' +
      '\r\n' +
      body,
  );
  socket.destroySoon();
}

/** An Expect header other than 100-continue: 417 as a problem document (Node's own has no body). */
export function expectationFailed(request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify(
    problem(
      417,
      'The Expect header asks for what this server does not do; only 100-continue is met',
      undefined,
      {
        instance: request.url,
      },
    ),
  );
  response.writeHead(417, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    connection: 'close',
  });
  response.end(body);
}

/** RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. The detail for it, or null when it has one. */
export function missingHost(request: IncomingMessage): string | null {
  if (request.httpVersion !== '1.1' || request.headers.host !== undefined) return null;
  return 'An HTTP/1.1 request must have a Host header';
}
