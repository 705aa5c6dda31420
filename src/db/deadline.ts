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
 * Takes a pooled connection and uses it, both within one bound of `ms` (one watch for the two):
 * past it, a connection already had is `cut` (the statement cancelled, the connection dropped),
 * and one still to come is given back unused when it comes.
 */
export function usingWithin<C, T>(
  ms: number,
  pooled: { acquire(): Promise<C>; giveBack(connection: C): unknown; cut(connection: C): void },
  use: (connection: C) => Promise<T>,
): Promise<T> {
  let had: C | undefined;
  let late = false;
  return beforeDeadline(
    "a statement",
    ms,
    async () => {
      const connection = await pooled.acquire();
      if (late) {
        await pooled.giveBack(connection);
        throw new DeadlineExceeded("a statement", ms);
      }
      had = connection;
      return use(connection);
    },
    () => {
      late = true;
      if (had !== undefined) pooled.cut(had);
    },
  );
}

/** An attempt being waited for, and what to do when its time is up. */
interface Watched {
  at: number;
  expire(): void;
}

/** Attempts in flight. One sweep finds those past their deadline: a timer per statement costs more than the statement's own work on a fast read. */
const watched = new Set<Watched>();
const SWEEP_MS = 25;
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = performance.now();
  for (const w of watched) {
    if (w.at > now) continue;
    watched.delete(w);
    w.expire();
  }
  if (!watched.size) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Waits for `attempt` for `ms` milliseconds (to within 25 ms). Past them, `abandon` is called
 * (cancel the statement, drop the connection) and the wait ends with DeadlineExceeded; a later
 * outcome of the attempt is ignored.
 */
export function beforeDeadline<T>(what: string, ms: number, attempt: () => Promise<T>, abandon?: () => void): Promise<T> {
  if (ms <= 0) return Promise.reject(new DeadlineExceeded(what, 0));
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const entry: Watched = {
      at: performance.now() + ms,
      expire() {
        if (done) return;
        done = true;
        try {
          abandon?.();
        } finally {
          reject(new DeadlineExceeded(what, ms));
        }
      },
    };
    watched.add(entry);
    // The sweep keeps no process alive by itself: an attempt in flight holds its socket open.
    if (!sweeper) (sweeper = setInterval(sweep, SWEEP_MS)).unref();
    const settle = (finish: () => void) => {
      if (done) return;
      done = true;
      watched.delete(entry);
      finish();
    };
    attempt().then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}
