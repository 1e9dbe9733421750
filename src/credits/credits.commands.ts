import { CliCommand, CliUsageError, requireOption } from '../common/cli/cli-command';
import { usdToNanos } from '../common/money/money';
import { UsersService } from '../users/users.service';
import { CreditsService } from './credits.service';
import { LedgerService } from './ledger.service';
import { stripeReconcileCommand } from './topups/topups.commands';

export const creditsGrantCommand: CliCommand = {
  name: 'credits:grant',
  summary: 'Grant credits to a user (a ledger journal from the grants account, with a reason)',
  usage: 'credits:grant --email <email> --amount <USD> --reason <text>',
  valueOptions: ['email', 'amount', 'reason'],
  needsApp: true,
  async run(ctx) {
    const email = requireOption(ctx, 'email');
    const amount = requireOption(ctx, 'amount');
    const reason = requireOption(ctx, 'reason');
    if (!/^\d+(\.\d{1,9})?$/.test(amount) || usdToNanos(amount) <= 0n) throw new CliUsageError('--amount must be a positive USD amount');
    const user = await ctx.app!.get(UsersService).findByEmail(email);
    if (!user) throw new CliUsageError(`no user with email ${email}`);
    await ctx.app!.get(CreditsService).grant(user.id, usdToNanos(amount), reason);
    const b = await ctx.app!.get(LedgerService).balances(user.id);
    ctx.out(`granted $${amount} to ${user.email}; available now $${Number(b.available) / 1e9}`);
    return 0;
  },
};

export const ledgerCheckCommand: CliCommand = {
  name: 'ledger:check',
  summary: 'Check the ledger invariants; exits 1 on any violation',
  needsApp: true,
  async run(ctx) {
    const violations = await ctx.app!.get(LedgerService).check();
    for (const v of violations) ctx.out(`VIOLATION: ${v}`);
    ctx.out(
      violations.length
        ? `${violations.length} violation(s)`
        : 'ledger ok: journals balance, cached balances match, no negative credit, holds resolved once, none stale, every generation cost booked',
    );
    return violations.length ? 1 : 0;
  },
};

export const CREDITS_COMMANDS = [creditsGrantCommand, ledgerCheckCommand, stripeReconcileCommand];
