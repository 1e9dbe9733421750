import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { prepareDatabase } from '../database/migrator';
import { AppLogger, createRootLogger } from '../logging/app-logger';

/** Reads the environment once; bad configuration ends the process with one line per bad variable. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

export function rootLogger(config: AppConfig): AppLogger {
  return new AppLogger(createRootLogger(config.log.level));
}

/**
 * SIGTERM/SIGINT: stop accepting work and let in-flight work finish within the grace period,
 * then close pools and queues. A second signal, or the grace period running out, exits at once.
 */
export function exitOnSignals(close: () => Promise<void>, graceMs: number, logger: AppLogger): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal, graceMs }, 'shutting down');
    const force = setTimeout(() => {
      logger.error({ graceMs }, 'grace period over: exiting with work still in flight');
      logger.pino.flush();
      process.exit(1);
    }, graceMs + 5000);
    force.unref();
    close().then(
      () => {
        logger.info({}, 'shutdown complete');
        logger.pino.flush(() => process.exit(0));
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.pino.flush(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Last-resort logging: an unexpected rejection is logged, not allowed to kill a server silently. */
export function logUnhandled(logger: AppLogger): void {
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
}

/**
 * Creates and migrates the database, or ends the process with exit 1 and one line saying what to
 * check: a process that cannot reach Postgres must not look like one that finished its work.
 */
export async function prepareDatabaseOrExit(config: AppConfig, logger: AppLogger): Promise<boolean> {
  try {
    const { created, applied } = await prepareDatabase(config);
    if (created) logger.info({}, 'database created');
    if (applied.length) logger.info({ applied }, 'migrations applied');
    return true;
  } catch (err) {
    logger.fatal(
      { err: (err as Error).message, database: config.redacted().database },
      'cannot prepare the database: is PostgreSQL running and DATABASE_URL right?',
    );
    logger.pino.flush(() => process.exit(1));
    return false;
  }
}

/** Errors that mean "fix the configuration", not "the code broke": reported in one line, exit 78. */
const CONFIGURATION_ERRORS = new Set(['ConfigError', 'CatalogFileError']);

/** Ends a process whose application could not start. */
export function exitOnBootFailure(err: unknown, logger: AppLogger): void {
  const e = err as Error;
  if (CONFIGURATION_ERRORS.has(e?.name)) {
    process.stderr.write(`${e.message}\n`);
    logger.pino.flush(() => process.exit(78));
    return;
  }
  logger.fatal({ err }, 'the application could not start');
  logger.pino.flush(() => process.exit(1));
}

/**
 * Ends a process whose server could not listen (port taken, no permission): one line naming the
 * address, exit 1, instead of staying alive without serving.
 */
export function exitOnListenFailure(err: unknown, where: { host: string; port: number }, logger: AppLogger): void {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e?.code === 'EADDRINUSE'
      ? 'is already in use'
      : e?.code === 'EACCES'
        ? 'needs privileges this process lacks'
        : `cannot be listened on (${e?.code ?? e?.message})`;
  process.stderr.write(`Port ${where.port} on ${where.host} ${reason}\n`);
  logger.pino.flush(() => process.exit(1));
}

/** A started process: its configuration, its root logger and what `create` made. */
export interface Booted<T> {
  config: AppConfig;
  logger: AppLogger;
  app: T;
}

/**
 * The entrypoints' common start: configuration, logger, migrations, then `create`; from then on
 * SIGTERM/SIGINT run `close`. Any failure on the way ends the process (undefined is returned).
 */
export async function bootOrExit<T>(
  create: (config: AppConfig, logger: AppLogger) => Promise<T>,
  close: (app: T) => Promise<void>,
): Promise<Booted<T> | undefined> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  logUnhandled(logger);
  if (!(await prepareDatabaseOrExit(config, logger))) return undefined;
  let app: T;
  try {
    app = await create(config, logger);
  } catch (err) {
    exitOnBootFailure(err, logger);
    return undefined;
  }
  exitOnSignals(() => close(app), config.http.shutdownGraceMs, logger);
  return { config, logger, app };
}
