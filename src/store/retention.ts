/**
 * The retention reaper: expires responses, conversations and conversation messages older than configured, in short batches, on one instance at a time.
 *
 * Every `everyMs` it tries to take (or renew) the `responses-retention` lease; the instance that
 * holds it deletes, oldest first, up to `batchSize` rows per transaction, renewing the lease
 * between batches and pausing as long as each batch took, until nothing old is left. The others only look.
 * Shutdown stops the timer, waits for the batch in progress and gives the lease up, so another
 * instance takes over at its next look (a holder that dies is replaced once its lease expires).
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { RowCondition } from "../access/where.js";
import type { Logger, RetentionSettings } from "../options.js";
import type { Backend } from "./runtime.js";
import type { Batch } from "../repository/batches.js";
import { sleep } from "../sleep.js";

/** The lease the reapers of one database share. */
const LEASE = "responses-retention";

/** The least pause between two batches. */
const PAUSE_MS = 10;

/** Batches one look may delete before it lets the next look go on (bounds how long one look runs). */
const BATCHES_PER_LOOK = 1000;

/**
 * What the reaper did on this instance.
 *
 * @example
 * ```ts
 * const { expired, holding } = store.stats()?.retention ?? {};
 * ```
 */
export interface RetentionStats {
  /** Rows this instance expired (deleted) since it started, of every kind. */
  expired: number;
  /** The same, by kind (a conversation counts once, with its items). */
  expiredBy: { responses: number; conversations: number; conversationMessages: number };
  /** Looks this instance took while holding the lease. */
  runs: number;
  /** Whether this instance held the lease at its last look. */
  holding: boolean;
  /** When this instance last finished a look that held the lease, or null. */
  lastRunAt: Date | null;
  /** Looks that failed (logged; the next look tries again). */
  errors: number;
}

/** Runs an operation on the primary as a store call (bounded, waited for on shutdown). */
type OnPrimary = <T>(op: (backend: Backend) => Promise<T>) => Promise<T>;

/** One instance's reaper. */
export class RetentionReaper {
  readonly #settings: RetentionSettings;
  readonly #onPrimary: OnPrimary;
  readonly #logger: Logger;
  readonly #holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #all: RowCondition = { kind: "const", value: true };
  #timer: NodeJS.Timeout | undefined;
  #look: Promise<void> | undefined;
  #stopped = false;
  readonly #stats: RetentionStats = {
    expired: 0,
    expiredBy: { responses: 0, conversations: 0, conversationMessages: 0 },
    runs: 0,
    holding: false,
    lastRunAt: null,
    errors: 0,
  };

  constructor(settings: RetentionSettings, onPrimary: OnPrimary, logger: Logger) {
    this.#settings = settings;
    this.#onPrimary = onPrimary;
    this.#logger = logger;
  }

  /** Starts looking every `everyMs` (the first look at once); the timer never keeps the process alive. */
  start(): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#settings.everyMs);
    this.#timer.unref();
    this.#tick();
  }

  /** What it did so far. */
  stats(): RetentionStats {
    return { ...this.#stats, expiredBy: { ...this.#stats.expiredBy } };
  }

  /** Stops looking, waits for the batch in progress, and gives the lease up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#look;
    if (!this.#stats.holding) return;
    await this.#onPrimary(({ leases }) => leases.release(LEASE, this.#holder)).catch(() => {}); // it expires anyway
  }

  #tick(): void {
    if (this.#look || this.#stopped) return; // the last look is still at work
    this.#look = this.#run()
      .catch((error: unknown) => {
        this.#stats.errors++;
        this.#logger.warn(
          `openai-responses-store: expiring old responses failed (tried again in ${this.#settings.everyMs} ms): ${(error as Error).message}`,
        );
      })
      .finally(() => (this.#look = undefined));
  }

  async #run(): Promise<void> {
    const { keep, batchSize, leaseMs } = this.#settings;
    const hold = () => this.#onPrimary(({ leases }) => leases.hold(LEASE, this.#holder, leaseMs, Date.now()));
    this.#stats.holding = await hold();
    if (!this.#stats.holding) return;
    const kinds = (Object.keys(keep) as Kind[]).filter((kind) => keep[kind] !== undefined);
    let batches = 0;
    for (const kind of kinds) {
      for (; batches < BATCHES_PER_LOOK && !this.#stopped; batches++) {
        // Only what is older than its retention (unix seconds): never a second early.
        const cutoff = Math.floor((Date.now() - keep[kind]!) / 1000);
        const started = performance.now();
        const done = await this.#onPrimary((backend) => ROUNDS[kind](backend, cutoff, this.#all, batchSize));
        this.#stats.expired += done.deleted;
        this.#stats.expiredBy[kind] += done.deleted;
        if (done.found < batchSize) break;
        // Paced: idle as long as the batch took (at least PAUSE_MS), so that at most half of the
        // database's time goes to expiry and the app's writes keep theirs.
        await sleep(Math.max(PAUSE_MS, performance.now() - started));
        if (!(this.#stats.holding = await hold())) return; // taken over (this instance stalled past its lease)
      }
    }
    this.#stats.runs++;
    this.#stats.lastRunAt = new Date();
  }
}

/** The kinds of rows that expire. */
type Kind = keyof RetentionStats["expiredBy"];

/** One batch of expiry of each kind: rows before `cutoff` (unix seconds). */
const ROUNDS: Record<Kind, (backend: Backend, cutoff: number, all: RowCondition, batchSize: number) => Promise<Batch>> = {
  responses: (b, cutoff, all, n) => b.responses.pruneBatch(cutoff, all, n),
  conversations: (b, cutoff, all, n) => b.conversations.pruneBatch(cutoff, all, n),
  conversationMessages: (b, cutoff, all, n) => b.messages.pruneBatch(cutoff, all, n),
};
