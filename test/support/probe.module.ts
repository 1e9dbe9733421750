import { Body, Controller, Get, Module, Post, Query } from '@nestjs/common';
import { IsInt, IsOptional, IsString, MaxLength, Min, ValidateBy } from 'class-validator';
import { AppError } from '../../src/common/errors/app-error';

class EchoDto {
  @IsString()
  @MaxLength(100)
  name: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  count?: number;
}

/** A field whose validator throws on some input, as validator.js's isEmail does on a lone surrogate. */
class ThrowingDto {
  @ValidateBy({ name: 'throwsOnBoom', validator: { validate: (v: unknown) => (v === 'boom' ? decodeURIComponent('%') !== '' : true) } })
  value: unknown;
}

class SlowQuery {
  @IsOptional()
  @IsString()
  ms?: string;
}

/** Routes that exist only in tests, to exercise the HTTP stack: validation, errors, slow requests. */
@Controller('api/v1/_probe')
class ProbeController {
  @Post('echo')
  echo(@Body() body: EchoDto): EchoDto {
    return body;
  }

  @Post('throwing-validator')
  throwingValidator(@Body() body: ThrowingDto): ThrowingDto {
    return body;
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail at /srv/app/db.ts:42');
  }

  @Get('app-error')
  appError(): never {
    throw new AppError('payment_required', 'Insufficient credits', { needed: 1 });
  }

  @Get('slow')
  async slow(@Query() q: SlowQuery): Promise<{ slept: number }> {
    const ms = Math.min(Number(q.ms ?? 300), 10000);
    await new Promise((r) => setTimeout(r, ms));
    return { slept: ms };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
