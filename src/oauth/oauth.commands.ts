import { CliCommand, CliUsageError, requireOption } from '../common/cli/cli-command';
import { Clock } from '../common/clock/clock';
import { UsersService } from '../users/users.service';
import { AppsService } from './apps.service';
import { OAuthRepository } from './oauth.repository';

export const appCreateCommand: CliCommand = {
  name: 'app:create',
  summary: 'Register an OAuth app (prints its client_id, and the client_secret once for confidential apps)',
  usage:
    'app:create --name <name> --redirect-uris <uri>[,<uri>...] [--client-type public|confidential] [--homepage <url>] [--owner <email>]',
  // A value rather than a `--confidential` flag: the CLI's strict parser refuses undeclared flags.
  valueOptions: ['name', 'redirect-uris', 'client-type', 'homepage', 'owner'],
  needsApp: true,
  async run(ctx) {
    const name = requireOption(ctx, 'name').trim();
    if (name.length === 0 || name.length > 100) throw new CliUsageError('--name must have 1 to 100 characters');
    const clientType = ctx.options['client-type'] ?? 'public';
    if (clientType !== 'public' && clientType !== 'confidential') throw new CliUsageError('--client-type must be public or confidential');
    const redirectUris = requireOption(ctx, 'redirect-uris')
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    let ownerId: string | null = null;
    if (typeof ctx.options.owner === 'string') {
      const owner = await ctx.app!.get(UsersService).findByEmail(ctx.options.owner);
      if (!owner) throw new CliUsageError(`no user with email ${ctx.options.owner}`);
      ownerId = owner.id;
    }
    const created = await ctx.app!.get(AppsService).register(ownerId, {
      name,
      homepage: typeof ctx.options.homepage === 'string' ? ctx.options.homepage : null,
      redirectUris,
      confidential: clientType === 'confidential',
    });
    ctx.out(`client_id: ${created.data.client_id}`);
    if (created.client_secret) ctx.out(`client_secret: ${created.client_secret} (shown once; store it now)`);
    ctx.out(`redirect_uris: ${created.data.redirect_uris.join(' ')}`);
    return 0;
  },
};

export const pruneCommand: CliCommand = {
  name: 'oauth:prune',
  summary: 'Delete expired OAuth consent requests and authorization codes',
  needsApp: true,
  async run(ctx) {
    const removed = await ctx.app!.get(OAuthRepository).prune(ctx.app!.get(Clock).now());
    ctx.out(`deleted ${removed.requests} consent requests and ${removed.codes} codes`);
    return 0;
  },
};

export const OAUTH_COMMANDS = [appCreateCommand, pruneCommand];
