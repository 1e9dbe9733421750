import type { INestApplicationContext } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

export interface CliContext {
  config: AppConfig;
  /** Named options (`--email a@b`) and positionals. */
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The Nest application context, for commands that declare `needsApp`. */
  app?: INestApplicationContext;
  out: (line: string) => void;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage?: string;
  /** Option names taking a value. */
  valueOptions?: string[];
  /** Boolean flags (`--management`). Anything not declared is refused. */
  flags?: string[];
  needsApp?: boolean;
  run(ctx: CliContext): Promise<number>;
}

export class CliUsageError extends Error {}

export function requireOption(ctx: CliContext, name: string): string {
  const v = ctx.options[name];
  if (typeof v !== 'string' || v === '') throw new CliUsageError(`--${name} is required`);
  return v;
}
