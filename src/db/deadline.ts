/** A call's deadline, as the pools take it: how long an attempt may run, and the error when it is cut off. */

/**
 * The bounds of one store call, handed to the pool through `Db.within`: its deadline (on the
 * performance.now() clock) and how long its transactions wait for a row lock another
 * transaction holds (a batch of several writes waits briefly, then splits, so that one locked
 * row holds up no write to another id; by default, until the deadline).
 */
export interface CallBounds {
  at: number;
  lockWaitMs?: number;
}

/**
 * Milliseconds one attempt may take: what is left before the deadline (0 once past it), and
 * never more than `capMs` (the pool's own bound, which alone applies outside any call: startup,
 * background probes).
 */
export function timeLeft(bounds: CallBounds | undefined, capMs: number): number {
  return bounds === undefined ? capMs : Math.min(capMs, Math.max(0, bounds.at - performance.now()));
}

/** How long a transaction within `bounds` waits for a row lock: its own setting, else until the deadline (at least 1 ms). */
export function lockWait(bounds: CallBounds | undefined, capMs: number): number {
  const left = timeLeft(bounds, capMs);
  return Math.max(1, bounds?.lockWaitMs === undefined ? left : Math.min(bounds.lockWaitMs, left));
}

/**
 * A database attempt cut off at its call's deadline. Its code reads as a lost connection
 * (transient): trying again later may succeed, which the caller's StorageError says with
 * `retryable: true`. Where the attempt was a write, it may or may not have committed: every
 * write of the store is idempotent, so it can be made again.
 */
export class DeadlineExceeded extends Error {
  readonly code = "ETIMEDOUT";
  constructor(what: string, ms: number) {
    super(`the database did not answer ${what} within ${Math.round(ms)} ms (timed out; the attempt was cancelled)`);
    this.name = "DeadlineExceeded";
  }
}

/**
 * Waits for `attempt` for `ms` milliseconds. Past them, `abandon` is called (cancel the
 * statement, drop the connection) and the wait ends with DeadlineExceeded; a later outcome of
 * the attempt is ignored.
 */
export function beforeDeadline<T>(what: string, ms: number, attempt: () => Promise<T>, abandon?: () => void): Promise<T> {
  if (ms <= 0) return Promise.reject(new DeadlineExceeded(what, 0));
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      try {
        abandon?.();
      } finally {
        reject(new DeadlineExceeded(what, ms));
      }
    }, ms);
    const settle = (finish: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      finish();
    };
    attempt().then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}
