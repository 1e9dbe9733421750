import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { REDACT_PATHS, scrubSecrets, serializeError } from './redaction';
import { requestContext } from './request-context';

export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
      // Every line passes through the secret scrubber on its way out (see redaction.ts).
      hooks: { streamWrite: scrubSecrets },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Every line written while serving a request names the request.
      mixin: () => {
        const ctx = requestContext.getStore();
        return ctx ? { reqId: ctx.requestId } : {};
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

const NEST_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/**
 * Structured JSON logging for the whole app, and Nest's logger. Messages take pino's
 * `(object, message)` form; Nest's own `(message, context)` calls are adapted.
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  child(bindings: Record<string, unknown>): AppLogger {
    return new AppLogger(this.pino.child(bindings));
  }

  info(obj: object | string, msg?: string): void {
    this.write('info', obj, msg);
  }
  log(message: unknown, ...rest: unknown[]): void {
    // Nest's start-up chatter (one line per module and route) is debug detail, not operations news.
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && NEST_CHATTER.has(context) ? 'debug' : 'info', message, ...rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, ...rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, ...rest);
  }

  private write(level: pino.Level, message: unknown, ...rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      this.pino[level](message as object, typeof rest[0] === 'string' ? rest[0] : undefined);
      return;
    }
    // Nest calls (message, context) or (message, stack, context).
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    const stack = rest.length > 1 ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (typeof context === 'string') fields.context = context;
    if (typeof stack === 'string') fields.stack = stack;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
