import { Injectable } from '@nestjs/common';
import type { AdapterKind } from '../catalog/catalog.types';
import { AnthropicAdapter } from './anthropic/anthropic.adapter';
import { GeminiAdapter } from './gemini/gemini.adapter';
import { OpenAiAdapter } from './openai/openai.adapter';
import type { ProviderAdapter } from './types';

/** The adapter for each kind of upstream API. */
@Injectable()
export class Adapters {
  private readonly byKind: Record<AdapterKind, ProviderAdapter> = {
    openai: new OpenAiAdapter(),
    anthropic: new AnthropicAdapter(),
    gemini: new GeminiAdapter(),
  };

  for(kind: AdapterKind): ProviderAdapter {
    return this.byKind[kind];
  }
}
