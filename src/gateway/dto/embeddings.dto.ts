import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { AcceptsUnknownFields } from '../../common/http/validation.pipe';
import { Check, checkEmbeddingInput, checkPlugins, PluginEntry } from './checks';
import { Optional } from './optional';
import { RoutingFieldsDto } from './routing-fields';

@AcceptsUnknownFields()
export class EmbeddingsDto extends RoutingFieldsDto {
  @Check(checkEmbeddingInput)
  input: string | string[] | number[] | number[][];

  @Optional()
  @IsIn(['float', 'base64'])
  encoding_format?: 'float' | 'base64';

  @Optional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  dimensions?: number;

  @Optional()
  @IsString()
  @MaxLength(64)
  input_type?: string;

  /** No plugin applies to embeddings: any is refused by name rather than ignored. */
  @Optional()
  @Check(checkPlugins([]))
  plugins?: PluginEntry[];
}
