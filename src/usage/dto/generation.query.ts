import { IsString, MaxLength } from 'class-validator';

export class GenerationQuery {
  @IsString()
  @MaxLength(100)
  id: string;
}
