import type { ChatRequest } from './types';

/** `format` of the reasoning details carrying Anthropic's thinking signatures, as OpenRouter names it. */
export const ANTHROPIC_REASONING_FORMAT = 'anthropic-claude-v1';

/** The client's reasoning controls, read once so every adapter agrees on what was asked. */
export interface ReasoningSetting {
  /** true: reason; false: do not; undefined: the model's default. */
  enabled: boolean | undefined;
  /** `reasoning.effort`, else the `reasoning_effort` shorthand; `none` only with enabled: false. */
  effort?: string;
  /** Anthropic-style thinking budget. */
  maxTokens?: number;
  /** Reason, but do not return the reasoning to the client. */
  exclude: boolean;
}

/** Share of max_tokens a thinking budget gets per effort (OpenRouter's ratios); unknown efforts count as medium. */
const EFFORT_RATIO: Record<string, number> = { minimal: 0.1, low: 0.2, medium: 0.5, high: 0.8, xhigh: 0.95 };

export function effortRatio(effort: string | undefined): number {
  return EFFORT_RATIO[effort ?? 'medium'] ?? EFFORT_RATIO.medium;
}

/**
 * `reasoning` (the full form) wins over the `reasoning_effort` shorthand; `include_reasoning` is
 * the legacy switch (`true` = reason and return it, `false` = `exclude`). Reasoning is on when
 * asked for explicitly or implied by an effort or a budget, as OpenRouter infers `enabled`.
 */
export function resolveReasoning(req: Pick<ChatRequest, 'reasoning' | 'reasoning_effort' | 'include_reasoning'>): ReasoningSetting {
  const r = req.reasoning ?? {};
  const shorthand = typeof req.reasoning_effort === 'string' ? req.reasoning_effort : undefined;
  const legacy = typeof req.include_reasoning === 'boolean' ? req.include_reasoning : undefined;
  const effort = typeof r.effort === 'string' ? r.effort : shorthand;
  const maxTokens = typeof r.max_tokens === 'number' ? r.max_tokens : undefined;
  const exclude = r.exclude === true || legacy === false;
  if (effort === 'none') return { enabled: false, effort, exclude };
  if (r.enabled === false) return { enabled: false, exclude };
  const enabled = r.enabled === true || effort !== undefined || maxTokens !== undefined || legacy === true ? true : undefined;
  return { enabled, ...(effort !== undefined ? { effort } : {}), ...(maxTokens !== undefined ? { maxTokens } : {}), exclude };
}
