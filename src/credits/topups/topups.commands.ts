import { CliCommand, CliUsageError } from '../../common/cli/cli-command';
import { nanosToUsd } from '../../common/money/money';
import { ReconcileReport, ReconcileTotals, ReconciliationService } from './reconciliation.service';

const DAY_MS = 86_400_000;

/** The report for `--json`: amounts as numbers in the currency's units, like the API. */
export function reconcileReportJson(r: ReconcileReport): Record<string, unknown> {
  return {
    since: r.since.toISOString(),
    until: r.until.toISOString(),
    totals: r.totals.map((t) => ({
      currency: t.currency,
      charges: t.charges,
      charged: nanosToUsd(t.charged),
      refunds: t.refunds,
      pending_refunds: t.pendingRefunds,
      failed_refunds: t.failedRefunds,
      refunded: nanosToUsd(t.refunded),
      disputes: t.disputes,
      open_disputes: t.openDisputes,
      open_disputed: nanosToUsd(t.openDisputed),
      dispute_fees: nanosToUsd(t.disputeFees),
      stripe_processing_fees: nanosToUsd(t.processingFees),
    })),
    ignored_balance_transactions: r.ignored,
    differences: r.differences.map((d) => ({
      kind: d.kind,
      stripe_id: d.stripeId,
      journal: d.journal,
      topup_id: d.topupId,
      detail: d.detail,
    })),
  };
}

const amount = (n: bigint, currency: string) => `${nanosToUsd(n).toFixed(2)} ${currency.toUpperCase()}`;

function totalsLine(t: ReconcileTotals): string {
  return [
    `${t.currency.toUpperCase()}: ${t.charges} top-up charge(s) ${amount(t.charged, t.currency)}`,
    `${t.refunds} refund(s) ${amount(t.refunded, t.currency)} (${t.failedRefunds} failed, ${t.pendingRefunds} pending)`,
    `${t.disputes} dispute(s) (${t.openDisputes} open, ${amount(t.openDisputed, t.currency)} withdrawn until they close; fees ${amount(t.disputeFees, t.currency)})`,
    `Stripe processing fees ${amount(t.processingFees, t.currency)} (not booked in the ledger)`,
  ].join('; ');
}

export function reconcileReportText(r: ReconcileReport): string[] {
  return [
    `Stripe reconciliation from ${r.since.toISOString()} to ${r.until.toISOString()}`,
    ...(r.totals.length ? r.totals.map(totalsLine) : ['no top-up charges, refunds or disputes at Stripe in this window']),
    ...(r.ignored ? [`${r.ignored} balance transaction(s) not about Switchyard top-ups, ignored`] : []),
    ...r.differences.map(
      (d) => `DIFFERENCE ${d.kind}: ${[d.stripeId, d.journal, d.topupId && `top-up ${d.topupId}`].filter(Boolean).join(' ')}: ${d.detail}`,
    ),
    r.differences.length ? `${r.differences.length} difference(s)` : 'reconciled: no unexplained differences',
  ];
}

export const stripeReconcileCommand: CliCommand = {
  name: 'stripe:reconcile',
  summary: "Compare Stripe's balance transactions with the top-up, refund and dispute journals (read-only); exits 1 on any difference",
  usage: 'stripe:reconcile [--since <ISO date>] [--json]   (since defaults to 30 days ago)',
  valueOptions: ['since'],
  flags: ['json'],
  needsApp: true,
  async run(ctx) {
    const raw = ctx.options.since;
    const since = typeof raw === 'string' ? new Date(raw) : new Date(Date.now() - 30 * DAY_MS);
    if (Number.isNaN(since.getTime())) throw new CliUsageError('--since must be an ISO date, e.g. 2026-11-01 or 2026-11-01T00:00:00Z');
    const report = await ctx.app!.get(ReconciliationService).reconcile({ since });
    if (ctx.options.json) ctx.out(JSON.stringify(reconcileReportJson(report), null, 2));
    else reconcileReportText(report).forEach((line) => ctx.out(line));
    return report.differences.length ? 1 : 0;
  },
};
