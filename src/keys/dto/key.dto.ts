import type { FreeModelDay } from '../free-model-limits';
import type { LimitReset } from '../periods';

/** A key as OpenRouter's keys API shows it (USD numbers at the edge). */
export interface KeyDto {
  hash: string;
  name: string;
  label: string;
  disabled: boolean;
  limit: number | null;
  limit_remaining: number | null;
  limit_reset: LimitReset | null;
  include_byok_in_limit: boolean;
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  byok_usage: number;
  byok_usage_daily: number;
  byok_usage_weekly: number;
  byok_usage_monthly: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  creator_user_id: string;
  /** A partner's end user the key was minted for; keys here belong to the account holder. */
  external_user: null;
  /** Every account is its own single workspace, named by the user's id. */
  workspace_id: string;
  is_management_key: boolean;
}

/** `GET /api/v1/key`: the calling key. */
export type CurrentKeyDto = Omit<KeyDto, 'hash' | 'disabled' | 'created_at' | 'updated_at' | 'external_user'> & {
  is_free_tier: boolean;
  is_provisioning_key: boolean;
  /** Where requests may be served; there is no regional routing, so "global". */
  allowed_data_regions: ['global'];
  free_model_daily_requests: FreeModelDay;
  /** Accounts are individual: no organization owns a key. */
  organization_id: null;
  rate_limit: { requests: number; interval: string; note: string };
};
