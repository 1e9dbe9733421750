import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The client went away before the response ended. */
  aborted?: boolean;
}

export interface FakeUpstream {
  /** Base URL to put in a catalog (e.g. http://127.0.0.1:PORT/v1). */
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * What a fake bills for a thinking model's reasoning it does not send (Gemini 2.5's default
 * thinking, Claude 4's summarized thinking), and how long after the visible answer its final usage
 * comes. Set on a running fake, for models the fake treats as thinking ones by name.
 */
export interface HiddenThinking {
  hiddenTokens: number;
  usageDelayMs: number;
}

export interface FakeThinkingUpstream extends FakeUpstream {
  thinking: HiddenThinking;
}

/** Knobs carried in the requested model name, shared by every fake upstream. */
export interface Knobs {
  failStatus: number | null;
  slowMs: number;
  cut: boolean;
  long: boolean;
  noUsage: boolean;
  /** Report usage as if every allowed output token was produced (cost = the full hold). */
  billMax: boolean;
  /** Milliseconds between streamed chunks, overriding the server's default. */
  gapMs: number | null;
}

export function knobs(model: string): Knobs {
  const fail = /fail-(\d{3})/.exec(model);
  const slow = /slow-(\d+)/.exec(model);
  const gap = /gap-(\d+)/.exec(model);
  return {
    failStatus: fail ? Number(fail[1]) : null,
    slowMs: slow ? Number(slow[1]) : 0,
    cut: model.includes('cut'),
    long: model.includes('long'),
    noUsage: model.includes('no-usage'),
    billMax: model.includes('bill-max'),
    gapMs: gap ? Number(gap[1]) : null,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic prompt size: one token per 4 characters of message text. */
export function promptTokensOf(texts: string[]): number {
  return Math.ceil(texts.join('').length / 4);
}

/** Starts a JSON HTTP server on a random loopback port; the handler gets the parsed body. */
export async function startJsonServer(
  prefix: string,
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: any, seen: SeenRequest) => Promise<void> | void, // eslint-disable-line @typescript-eslint/no-explicit-any
): Promise<FakeUpstream> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      const entry: SeenRequest = { path: req.url ?? '', headers: req.headers, body };
      seen.push(entry);
      res.on('close', () => {
        if (!res.writableFinished) entry.aborted = true;
      });
      Promise.resolve(handler(req, res, body, entry)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
