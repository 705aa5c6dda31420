/** The deadline of the call in progress, carried to the pools, which cut off an attempt still running at it. */
import { AsyncLocalStorage } from "node:async_hooks";

/** The current call's deadline (on the performance.now() clock), and how long its transactions wait for a row lock. */
interface CallBounds {
  at: number;
  lockWaitMs: number | undefined;
}

const current = new AsyncLocalStorage<CallBounds>();

/**
 * Runs `fn` with `at` (a performance.now() time) as the deadline of every database attempt it
 * makes, replacing any deadline around it: the write queue gives each batch the deadline of its
 * oldest write, whoever's call started the worker. `lockWaitMs`: how long its transactions wait
 * for a row another transaction holds (a batch of several writes waits briefly, then splits, so
 * that one locked row does not hold up writes to other ids); by default until the deadline.
 */
export function withDeadline<T>(at: number, fn: () => Promise<T>, lockWaitMs?: number): Promise<T> {
  return current.run({ at, lockWaitMs }, fn);
}

/**
 * Milliseconds one attempt may take: what is left before the current call's deadline (0 once
 * past it), and never more than `capMs` (the pool's own bound, which also applies outside any
 * call: startup, background probes).
 */
export function timeLeft(capMs: number): number {
  const bounds = current.getStore();
  return bounds === undefined ? capMs : Math.min(capMs, Math.max(0, bounds.at - performance.now()));
}

/** How long a transaction of the current call waits for a row lock: its own setting, else `capMs` (or what is left before the deadline, if less). */
export function lockWait(capMs: number): number {
  const wait = current.getStore()?.lockWaitMs;
  return Math.max(1, wait === undefined ? timeLeft(capMs) : Math.min(wait, timeLeft(capMs)));
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
 * Waits for `attempt` until the current deadline (at most `capMs`). Past it,
 * `abandon` is called (cancel the statement, drop the connection) and the wait ends with
 * DeadlineExceeded; a later outcome of the attempt is ignored.
 */
export function beforeDeadline<T>(what: string, capMs: number, attempt: () => Promise<T>, abandon?: () => void): Promise<T> {
  const ms = timeLeft(capMs);
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
