import { IsNumber, IsPositive } from 'class-validator';
import { MaxDecimalPlaces } from '../../../common/http/decimal-places';

/** A card top-up: the credit to buy, in USD (the fee is added on top). Bounds come from configuration. */
export class CreateCheckoutDto {
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'amount must be a number of USD with at most 2 decimals' })
  @MaxDecimalPlaces(2, 'amount must be a number of USD with at most 2 decimals')
  @IsPositive({ message: 'amount must be positive' })
  amount: number;
}
