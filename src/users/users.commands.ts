import { CliCommand, requireOption } from '../common/cli/cli-command';
import { UsersService } from './users.service';

export const userCreateCommand: CliCommand = {
  name: 'user:create',
  summary: 'Create a user (email verified, as an operator vouches for it)',
  usage: 'user:create --email <email> [--password <password>] [--name <name>]',
  valueOptions: ['email', 'password', 'name'],
  needsApp: true,
  async run(ctx) {
    const email = requireOption(ctx, 'email');
    const password = typeof ctx.options.password === 'string' ? ctx.options.password : undefined;
    if (password !== undefined && password.length < 10) {
      ctx.out('password must be at least 10 characters');
      return 64;
    }
    const user = await ctx.app!.get(UsersService).create({
      email,
      password,
      name: typeof ctx.options.name === 'string' ? ctx.options.name : null,
      emailVerified: true,
    });
    ctx.out(`created user ${user.id} <${user.email}>`);
    return 0;
  },
};

export const USERS_COMMANDS = [userCreateCommand];
