import { CliCommand, CliUsageError, requireOption } from '../common/cli/cli-command';
import { usdToNanos } from '../common/money/money';
import { UsersService } from '../users/users.service';
import { KeysService } from './keys.service';
import { LimitReset } from './periods';

async function userIdFor(ctx: Parameters<CliCommand['run']>[0]): Promise<string> {
  const email = requireOption(ctx, 'email');
  const user = await ctx.app!.get(UsersService).findByEmail(email);
  if (!user) throw new CliUsageError(`no user with email ${email}`);
  return user.id;
}

export const keyCreateCommand: CliCommand = {
  name: 'key:create',
  summary: 'Create an API key for a user and print it (shown only this once)',
  usage: 'key:create --email <email> --name <name> [--limit <USD>] [--limit-reset daily|weekly|monthly] [--management]',
  valueOptions: ['email', 'name', 'limit', 'limit-reset'],
  flags: ['management'],
  needsApp: true,
  async run(ctx) {
    const userId = await userIdFor(ctx);
    const name = requireOption(ctx, 'name');
    const limit = ctx.options.limit;
    const reset = ctx.options['limit-reset'];
    if (reset !== undefined && !['daily', 'weekly', 'monthly'].includes(String(reset))) {
      throw new CliUsageError('--limit-reset must be daily, weekly or monthly');
    }
    if (limit !== undefined && !/^\d+(\.\d{1,9})?$/.test(String(limit))) throw new CliUsageError('--limit must be a USD amount');
    const { entity, key } = await ctx.app!.get(KeysService).createFor(userId, {
      name,
      isManagement: ctx.options.management === true,
      limitNanos: limit === undefined ? null : usdToNanos(String(limit)),
      limitReset: (reset as LimitReset | undefined) ?? null,
    });
    ctx.out(`key ${entity.label} (hash ${entity.hash})`);
    ctx.out(key);
    return 0;
  },
};

export const keyListCommand: CliCommand = {
  name: 'key:list',
  summary: "List a user's keys (labels and hashes, never the keys)",
  usage: 'key:list --email <email> [--all]',
  valueOptions: ['email'],
  flags: ['all'],
  needsApp: true,
  async run(ctx) {
    const userId = await userIdFor(ctx);
    const keys = await ctx.app!.get(KeysService).list({ kind: 'session', userId, sessionId: 'cli' }, 0, ctx.options.all === true);
    for (const k of keys) {
      ctx.out(
        [
          k.label,
          k.hash,
          JSON.stringify(k.name),
          k.disabled ? 'disabled' : 'active',
          k.is_management_key ? 'management' : 'api',
          `limit=${k.limit ?? 'none'}${k.limit_reset ? `/${k.limit_reset}` : ''}`,
          `usage=${k.usage}`,
        ].join('  '),
      );
    }
    if (keys.length === 0) ctx.out('no keys');
    return 0;
  },
};

export const KEYS_COMMANDS = [keyCreateCommand, keyListCommand];
