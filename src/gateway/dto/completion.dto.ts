import { IsInt, Max, Min } from 'class-validator';
import { AcceptsUnknownFields } from '../../common/http/validation.pipe';
import { Check } from './checks';
import { Optional } from './optional';
import { SamplingFieldsDto } from './sampling-fields';

function checkPrompt(v: unknown): string | null {
  if (typeof v === 'string') return null;
  if (Array.isArray(v) && v.length > 0 && v.length <= 1 && typeof v[0] === 'string') return null;
  if (Array.isArray(v) && v.length > 1) return 'must be one prompt (n > 1 is not supported)';
  return 'must be a string';
}

/** Legacy `POST /api/v1/completions`: served as a chat request with one user message. */
@AcceptsUnknownFields()
export class CompletionDto extends SamplingFieldsDto {
  @Check(checkPrompt)
  prompt: string | string[];

  /** The legacy form: log probabilities of the chosen tokens and of this many likeliest ones at each position. */
  @Optional()
  @IsInt()
  @Min(0)
  @Max(5)
  logprobs?: number;
}
