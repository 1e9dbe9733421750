import { Column } from 'typeorm';
import { bigintColumn } from '../../common/money/money';

/**
 * What a key or a user has spent, per UTC period, and what is reserved by requests in flight.
 * A period's counter counts only when its start date is the current period's (see periods.ts);
 * settlement rolls it over. Embedded in api_keys and user_spend so both are updated the same way.
 */
export class SpendCounters {
  @Column({ name: 'held_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  held: bigint;

  @Column({ name: 'usage_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  total: bigint;

  @Column({ name: 'usage_day_start', type: 'date', default: () => "'1970-01-01'" })
  dayStart: string;

  @Column({ name: 'usage_day_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  day: bigint;

  @Column({ name: 'usage_week_start', type: 'date', default: () => "'1970-01-01'" })
  weekStart: string;

  @Column({ name: 'usage_week_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  week: bigint;

  @Column({ name: 'usage_month_start', type: 'date', default: () => "'1970-01-01'" })
  monthStart: string;

  @Column({ name: 'usage_month_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  month: bigint;
}
