import { nanosToUsd } from '../common/money/money';
import type { AssistantMessage, ChatResult, EmbeddingsResult, FinishReason, Logprobs, Usage } from '../providers/types';
import type { Bill } from './bill';
import { costDetails, CostDetailsJson } from './cost-details';
import type { Exchange } from './exchange';
import { legacyLogprobs } from './legacy-logprobs';

/** What a request cost, as OpenRouter adds it to `usage` (USD numbers at the edge). */
export interface CostJson {
  cost: number;
  is_byok: false;
  cost_details: CostDetailsJson;
}

export type UsageJson = Usage & CostJson;

interface CompletionHead {
  id: string;
  created: number;
  model: string;
  provider: string;
  system_fingerprint: null;
  service_tier?: string;
}

export interface ChatCompletionJson extends CompletionHead {
  object: 'chat.completion';
  choices: {
    index: 0;
    logprobs: Logprobs | null;
    finish_reason: FinishReason | null;
    native_finish_reason: string | null;
    message: AssistantMessage;
  }[];
  usage: UsageJson;
}

export interface TextCompletionJson extends CompletionHead {
  object: 'text_completion';
  choices: { index: 0; text: string; finish_reason: FinishReason | null; logprobs: ReturnType<typeof legacyLogprobs> }[];
  usage: UsageJson;
}

export interface EmbeddingsJson {
  id: string;
  object: 'list';
  model: string;
  provider: string;
  data: EmbeddingsResult['data'];
  usage: EmbeddingsResult['usage'] & CostJson;
}

/** The bill's cost and its prompt / completion split. */
export function costJson(bill: Bill): CostJson {
  return { cost: nanosToUsd(bill.cost), is_byok: false, cost_details: costDetails(bill.split, bill.cost) };
}

/** `usage` with its cost, as answers and the final stream chunk carry it. */
export function usageJson(bill: Bill): UsageJson {
  return { ...bill.usage!, ...costJson(bill) };
}

/** A non-streaming answer in the request's shape (chat, text for /completions, or another API's), billed by the exchange's bill. */
export function completionJson(ex: Exchange, result: ChatResult): object {
  const { format } = ex.init;
  if (typeof format === 'object') return format.json(ex, result);
  const r = ex.outcome.served!.attempt.resolved;
  const head: CompletionHead = {
    id: ex.id,
    created: Math.floor(ex.now() / 1000),
    model: r.model.id,
    provider: r.provider.name,
    system_fingerprint: null,
    ...(result.serviceTier ? { service_tier: result.serviceTier } : {}),
  };
  const usage = usageJson(ex.bill!);
  if (ex.init.format === 'text') {
    const choice = {
      index: 0 as const,
      text: result.message.content ?? '',
      finish_reason: result.finishReason,
      logprobs: legacyLogprobs(result.logprobs),
    };
    return { ...head, object: 'text_completion', choices: [choice], usage };
  }
  const { reasoning_details: details, ...rest } = result.message;
  // Excluded reasoning leaves nothing of it, its signatures included.
  const message = ex.init.chat?.excludeReasoning
    ? { refusal: null, ...rest, reasoning: null }
    : { refusal: null, reasoning: null, ...rest, ...(details ? { reasoning_details: details } : {}) };
  const choice = {
    index: 0 as const,
    logprobs: result.logprobs ?? null,
    finish_reason: result.finishReason,
    native_finish_reason: result.nativeFinishReason,
    message,
  };
  return { ...head, object: 'chat.completion', choices: [choice], usage };
}

export function embeddingsJson(ex: Exchange, result: EmbeddingsResult): EmbeddingsJson {
  const r = ex.outcome.served!.attempt.resolved;
  return {
    id: ex.id,
    object: 'list',
    model: r.model.id,
    provider: r.provider.name,
    data: result.data,
    usage: { ...result.usage, ...costJson(ex.bill!) },
  };
}
