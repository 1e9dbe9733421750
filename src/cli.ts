import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppModule } from './app.module';
import { CliCommand, CliUsageError } from './common/cli/cli-command';
import { checkCommand, envTableCommand, migrateCommand } from './common/cli/core.commands';
import { loadConfigOrExit } from './common/lifecycle/process';
import { CREDITS_COMMANDS } from './credits/credits.commands';
import { KEYS_COMMANDS } from './keys/keys.commands';
import { OAUTH_COMMANDS } from './oauth/oauth.commands';
import { USERS_COMMANDS } from './users/users.commands';
import { AppLogger, createRootLogger } from './common/logging/app-logger';

/** `npm run cli -- <command> [--option value]`. Each feature module contributes its commands. */
const COMMANDS: CliCommand[] = [
  migrateCommand,
  checkCommand,
  envTableCommand,
  ...USERS_COMMANDS,
  ...KEYS_COMMANDS,
  ...CREDITS_COMMANDS,
  ...OAUTH_COMMANDS,
];

function help(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(16)} ${c.summary}${c.usage ? `\n  ${''.padEnd(16)} ${c.usage}` : ''}`);
  return `usage: npm run cli -- <command> [options]\n\ncommands:\n${rows.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(name && name !== 'help' && name !== '--help' ? `unknown command: ${name}\n\n${help()}` : help());
    return name && name !== 'help' && name !== '--help' ? 64 : 0;
  }
  const config = loadConfigOrExit();
  const options: Record<string, { type: 'string' | 'boolean' }> = Object.fromEntries([
    ...(command.valueOptions ?? []).map((o) => [o, { type: 'string' as const }]),
    ...(command.flags ?? []).map((o) => [o, { type: 'boolean' as const }]),
  ]);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${command.usage ? `usage: ${command.usage}\n` : ''}`);
    return 64;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // Commands log only warnings, so their own output stays readable.
  const logger = new AppLogger(createRootLogger(config.log.level === 'info' ? 'warn' : config.log.level));
  const app = command.needsApp
    ? await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), { logger: false })
    : undefined;
  try {
    return await command.run({
      config,
      options: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
      app,
      out,
    });
  } catch (err) {
    if (err instanceof CliUsageError) {
      process.stderr.write(`${err.message}\n${command.usage ? `usage: ${command.usage}\n` : ''}`);
      return 64;
    }
    process.stderr.write(`${command.name} failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await app?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
