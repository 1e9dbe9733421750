import { Body, Controller, Get, Patch, UseGuards } from '@nestjs/common';
import { nanosToUsd, usdToNanos } from '../common/money/money';
import { AccountGuard } from './account.guard';
import { CapsService } from './caps.service';
import { UpdateCapsDto } from './dto/update-caps.dto';
import { CurrentPrincipal, Principal } from './principal';

interface CapView {
  cap: number | null;
  usage: number;
  remaining: number | null;
}

/** The signed-in user's own spending caps, binding across all their keys and apps. */
@Controller('api/v1/limits')
@UseGuards(AccountGuard)
export class CapsController {
  constructor(private readonly caps: CapsService) {}

  @Get()
  async get(@CurrentPrincipal() actor: Principal): Promise<{ data: { daily: CapView; weekly: CapView; monthly: CapView; held: number } }> {
    return { data: await this.view(actor.userId) };
  }

  @Patch()
  async update(@CurrentPrincipal() actor: Principal, @Body() dto: UpdateCapsDto) {
    const conv = (v: number | null | undefined) => (v === undefined ? undefined : v === null ? null : usdToNanos(v));
    await this.caps.setUserCaps(actor.userId, { daily: conv(dto.daily), weekly: conv(dto.weekly), monthly: conv(dto.monthly) });
    return { data: await this.view(actor.userId) };
  }

  private async view(userId: string) {
    const u = await this.caps.userCounters(userId);
    const one = (cap: bigint | null, used: bigint): CapView => ({
      cap: cap === null ? null : nanosToUsd(cap),
      usage: nanosToUsd(used),
      remaining: cap === null ? null : nanosToUsd(cap - used - (u?.held ?? 0n) > 0n ? cap - used - (u?.held ?? 0n) : 0n),
    });
    return {
      daily: one(u?.caps.daily ?? null, u?.day ?? 0n),
      weekly: one(u?.caps.weekly ?? null, u?.week ?? 0n),
      monthly: one(u?.caps.monthly ?? null, u?.month ?? 0n),
      held: nanosToUsd(u?.held ?? 0n),
    };
  }
}
