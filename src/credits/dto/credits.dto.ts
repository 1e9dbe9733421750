/** `GET /api/v1/credits`: OpenRouter's two totals, plus the balances behind them (USD). */
export interface CreditsSummaryDto {
  total_credits: number;
  total_usage: number;
  /** Spendable now. */
  balance: number;
  /** Reserved by requests in flight. */
  held: number;
  /** Set aside while a card dispute is open. */
  disputed: number;
  /** Owed after a refund or lost dispute of credit already spent. */
  owed: number;
  frozen: boolean;
}

export interface LedgerLineDto {
  id: string;
  kind: string;
  reference: string;
  memo: string | null;
  available_change: number;
  held_change: number;
  other_change: number;
  created_at: string;
}
