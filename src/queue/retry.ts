/** Exponential backoff with full jitter, bounded by a deadline. */

/** Backoff settings. */
export interface RetryPolicy {
  /** First delay's upper bound. @default 50 */
  baseMs: number;
  /** Largest delay. @default 2000 */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 50, maxMs: 2000 };

/**
 * The delay before attempt `attempt + 1` (attempt counts from 1): a random value in
 * [0, min(maxMs, baseMs * 2^(attempt-1))], so that many writers retrying after one outage do
 * not stampede the database together.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy = DEFAULT_RETRY, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * cap);
}
