import { Injectable } from '@nestjs/common';
import type { AdapterKind } from '../catalog/catalog.types';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { withBillableUsage } from './billable-usage-adapter';
import { GeminiAdapter } from './gemini/gemini.adapter';
import { OpenAiAdapter } from './openai/openai.adapter';
import type { ProviderAdapter } from './types';

/** The adapter for each kind of upstream API, behind the boundary that makes its usage billable. */
@Injectable()
export class Adapters {
  private readonly byKind: Record<AdapterKind, ProviderAdapter> = {
    openai: withBillableUsage(new OpenAiAdapter()),
    anthropic: withBillableUsage(new AnthropicAdapter()),
    gemini: withBillableUsage(new GeminiAdapter()),
  };

  for(kind: AdapterKind): ProviderAdapter {
    return this.byKind[kind];
  }
}
