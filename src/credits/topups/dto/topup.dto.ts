/** A Checkout Session to send the user to. USD numbers; `total` is what the card is charged. */
export interface CheckoutDto {
  id: string;
  url: string;
  amount: number;
  fee: number;
  total: number;
  currency: string;
}

/** One card top-up of the user. `refunded` is the credit taken back by refunds or a lost dispute. */
export interface TopupDto {
  id: string;
  amount: number;
  fee: number;
  total: number;
  currency: string;
  status: 'pending' | 'credited' | 'expired';
  refunded: number;
  created_at: string;
  credited_at: string | null;
  /** The card dispute of this top-up, if its payment was disputed: open, won or lost. */
  dispute: 'open' | 'won' | 'lost' | null;
}

/** The price of a top-up before paying: the credit, the fee and what the card is charged (USD). */
export type TopupQuoteDto = Omit<CheckoutDto, 'id' | 'url'>;
