import type { ServerResponse } from 'node:http';

/**
 * Writes an SSE response straight to the socket: no buffering, and waits for the client when the
 * socket's buffer is full (backpressure) instead of piling chunks up in memory.
 */
export class SseWriter {
  private started = false;

  private readonly baseHeaders: Record<string, string>;

  /**
   * @param stallMs how long a write may wait for a client that reads nothing (its buffers stay
   *   full); then the connection is closed, so a paused client cannot pin the request, its hold
   *   and its upstream connection.
   */
  constructor(
    private readonly raw: ServerResponse,
    baseHeaders: Record<string, string> = {},
    private readonly stallMs = 0,
  ) {
    this.baseHeaders = { ...baseHeaders };
  }

  /** A header for the response, if it has not started yet. */
  setHeader(name: string, value: string): void {
    if (!this.started) this.baseHeaders[name] = value;
  }

  get headersSent(): boolean {
    return this.started;
  }

  /** Whether the connection was closed because the client stopped reading (not by the client). */
  stalled = false;

  get closed(): boolean {
    return this.raw.destroyed || this.raw.writableEnded;
  }

  start(headers: Record<string, string>): void {
    if (this.started) return;
    this.started = true;
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.baseHeaders,
      ...headers,
    });
    this.raw.flushHeaders();
  }

  comment(text: string): Promise<void> {
    return this.write(`: ${text}\n\n`);
  }

  data(json: string): Promise<void> {
    return this.write(`data: ${json}\n\n`);
  }

  /** A named event (`event: <name>`), as APIs other than OpenAI's stream them. */
  frame(f: { event?: string; data: string }): Promise<void> {
    return this.write(`${f.event ? `event: ${f.event}\n` : ''}data: ${f.data}\n\n`);
  }

  end(): void {
    if (!this.closed) this.raw.end();
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.raw.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const stalled =
        this.stallMs > 0
          ? setTimeout(() => {
              this.stalled = true;
              this.raw.destroy();
            }, this.stallMs)
          : undefined;
      const done = () => {
        clearTimeout(stalled);
        this.raw.off('drain', done);
        this.raw.off('close', done);
        resolve();
      };
      this.raw.once('drain', done);
      this.raw.once('close', done);
    });
  }
}
