/** A promise of a pause: the one timer every retry loop (migrations, SQLite WAL, the queue's backoff) waits on. */

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * await sleep(25 + Math.random() * 75);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
