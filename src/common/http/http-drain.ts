import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { toEnvelope } from '../errors/error-envelope';

/**
 * Graceful stop for the HTTP server. Nest tears modules down before it closes the server, and a
 * keep-alive connection would hold `close()` open for its whole idle timeout; so we stop accepting
 * first, answer 503 to new requests on open connections, let in-flight requests (streams included)
 * finish within the grace period, and only then close the app's modules.
 */
export class HttpDrain {
  private inFlight = 0;
  private draining = false;
  private onIdle?: () => void;

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (req, reply, done) => {
      if (this.draining) {
        reply
          .code(503)
          .header('connection', 'close')
          .header('retry-after', '1')
          .send(
            toEnvelope({
              status: 503,
              code: 'service_unavailable',
              message: 'Server is shutting down; retry on another instance',
              metadata: {},
              headers: {},
              internal: false,
            }),
          );
        return;
      }
      this.inFlight++;
      reply.raw.once('close', () => {
        this.inFlight--;
        if (this.draining && this.inFlight === 0) this.onIdle?.();
      });
      done();
    });
    fastify.addHook('onSend', (_req, reply, payload, done) => {
      if (this.draining) reply.header('connection', 'close');
      done(null, payload);
    });
  }

  get active(): number {
    return this.inFlight;
  }

  /** Stops accepting, waits up to `graceMs` for in-flight requests, then cuts what is left. */
  async drain(server: Server, graceMs: number): Promise<void> {
    this.draining = true;
    server.close();
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    server.closeAllConnections();
  }
}
