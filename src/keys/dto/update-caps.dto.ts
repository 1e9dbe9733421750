import { LimitField } from './key-fields';

/** The signed-in user's own spending caps in USD; null removes a cap, absent leaves it. */
export class UpdateCapsDto {
  @LimitField()
  daily?: number | null;

  @LimitField()
  weekly?: number | null;

  @LimitField()
  monthly?: number | null;
}
