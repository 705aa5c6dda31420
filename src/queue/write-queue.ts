/**
 * The write queue for server databases: batches, back-pressure, retries, and the only fastq import.
 *
 * Callers' writes wait in a bounded buffer; fastq workers take them in batches (distinct ids, at
 * most `batchSize`) and commit each batch in one transaction. A caller's promise settles only when
 * its own write is committed or has finally failed. Transient failures are retried with backoff
 * until a deadline; a permanent failure splits the batch so that only the bad write fails; nothing
 * a worker meets can stop it. This is the only module that imports fastq.
 */
import { EventEmitter } from "node:events";
import { setImmediate } from "node:timers/promises";
import fastq from "fastq";
import { DeadlineExceeded, type CallBounds } from "../db/deadline.js";
import { isLockTimeout, isTransient, storageError } from "../db/transient.js";
import { StorageError, StoreClosedError, isResponsesStoreError, type ResponsesStoreError } from "../errors.js";
import type { ResponseWrite } from "../repository/responses-repository.js";
import { sleep } from "../sleep.js";
import { DEFAULT_RETRY, backoffDelay, type RetryPolicy } from "./retry.js";

/**
 * Queue settings (all optional).
 *
 * @example
 * ```ts
 * const store = await createResponsesStore({ url, queue: { batchSize: 200, concurrency: 4, retryDeadlineMs: 10_000 } });
 * ```
 */
export interface WriteQueueOptions {
  /** Batches written at once (keep at most the pool size). @default 4 */
  concurrency?: number;
  /** Most writes in one batch (one transaction, one multi-row upsert). @default 100 */
  batchSize?: number;
  /** Most writes waiting; past it, callers wait for room (back-pressure). @default 10000 */
  maxSize?: number;
  /**
   * How long a write may take, in ms, from the call: waiting for room, its attempts, and retries
   * after transient failures; an attempt still running then is cut off.
   * @default the store's timeoutMs (30000)
   */
  retryDeadlineMs?: number;
}

/**
 * What the queue has done so far (counters since start) and holds now.
 *
 * @example
 * ```ts
 * const { depth, written, failed }: Partial<WriteQueueStats> = store.stats() ?? {};
 * ```
 */
export interface WriteQueueStats {
  /** Writes waiting for a batch. */
  depth: number;
  /** Callers waiting for room because the queue is full. */
  waitingForRoom: number;
  /** Batches being written now. */
  inFlightBatches: number;
  /** Writes committed. */
  written: number;
  /** Writes that finally failed (including refused ids). */
  failed: number;
  /** Batches committed, and the rows in them. */
  batches: number;
  rowsInBatches: number;
  /** Largest batch committed. */
  maxBatchSize: number;
  /** Batch attempts retried after a transient failure. */
  retries: number;
  /** Batches split into single writes after a permanent failure, to isolate the bad write. */
  splitBatches: number;
  /** Milliseconds from enqueue to commit: mean and max over committed writes. */
  meanLatencyMs: number;
  maxLatencyMs: number;
}

/** Events of {@link WriteQueue}. */
export interface WriteQueueEvents {
  /** A batch was committed. */
  batch: [{ size: number; attempts: number; ms: number }];
  /** A batch attempt failed transiently and will be retried. */
  retry: [{ size: number; attempt: number; delayMs: number; error: unknown }];
  /** A write finally failed. */
  writeError: [{ id: string; error: ResponsesStoreError }];
}

/** The counters a queue starts from. */
function counters() {
  return { written: 0, failed: 0, batches: 0, rowsInBatches: 0, maxBatchSize: 0, retries: 0, splitBatches: 0, maxLatencyMs: 0 };
}

/**
 * The stats of a queue that holds and has done nothing (what stores without a queue report beside their replicas).
 *
 * @example
 * ```ts
 * const { depth } = idleQueueStats(); // 0
 * ```
 */
export function idleQueueStats(): WriteQueueStats {
  return { ...counters(), depth: 0, waitingForRoom: 0, inFlightBatches: 0, meanLatencyMs: 0 };
}

interface PendingWrite {
  write: ResponseWrite;
  enqueuedAt: number;
  resolve(): void;
  reject(error: ResponsesStoreError): void;
  settled: Promise<void>;
  /** Set on an operation in order (a delete): run alone, after the writes of its id before it and before those after. */
  run?: () => Promise<void>;
}

/**
 * How a batch reaches the database, within `bounds` (the deadline of its oldest write, and the
 * batch's row-lock wait): returns the writes that failed for a reason of their own, by id.
 */
export type BatchWriter = (writes: readonly ResponseWrite[], bounds: CallBounds) => Promise<Map<string, ResponsesStoreError>>;

/**
 * How long a batch of several writes waits for a row lock another transaction holds before it
 * splits into single writes (each of which waits until its deadline): 250 ms (MySQL's least is 1 s).
 */
const BATCH_LOCK_WAIT_MS = 250;

/** Writes that must be waiting before another worker joins those already writing. */
const PARALLEL_BATCH_THRESHOLD = 16;

/**
 * Batches, retries and acknowledges writes. Wrapped by ResponsesStore; not exported as API.
 */
export class WriteQueue extends EventEmitter<WriteQueueEvents> {
  readonly #write: BatchWriter;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #maxSize: number;
  readonly #deadlineMs: number;
  readonly #retry: RetryPolicy;
  readonly #workers: fastq.queueAsPromised<void, void>;
  /** Writes not yet taken by a worker, in arrival order. */
  #buffer: PendingWrite[] = [];
  /** Ids in batches being written: a later write to one of them waits for the next batch. */
  readonly #inFlightIds = new Set<string>();
  /** The newest not-yet-settled write of each id, for reads that must see it. */
  readonly #latestById = new Map<string, Promise<void>>();
  /** Every not-yet-settled write. */
  readonly #unsettled = new Set<Promise<void>>();
  readonly #roomWaiters: (() => void)[] = [];
  #closed = false;
  #inFlightBatches = 0;
  #stats = { ...counters(), latencySum: 0 };

  constructor(write: BatchWriter, options: WriteQueueOptions = {}, retry: RetryPolicy = DEFAULT_RETRY) {
    super();
    this.#write = write;
    this.#concurrency = options.concurrency ?? 4;
    this.#batchSize = options.batchSize ?? 100;
    this.#maxSize = options.maxSize ?? 10_000;
    this.#deadlineMs = options.retryDeadlineMs ?? 30_000;
    this.#retry = retry;
    // fastq is the worker pool: each task drains batches until nothing is ready for it.
    this.#workers = fastq.promise(() => this.#drain(), this.#concurrency);
  }

  /**
   * Queues a write and resolves when it is committed (rejects with a typed error when it finally
   * fails). Waits for room when the queue is full.
   *
   * @throws StoreClosedError after close().
   */
  async enqueue(write: ResponseWrite): Promise<void> {
    if (this.#closed) throw new StoreClosedError();
    const enqueuedAt = performance.now();
    while (this.#buffer.length >= this.#maxSize) {
      await this.#room(enqueuedAt + this.#deadlineMs);
      if (this.#closed) throw new StoreClosedError();
    }
    let resolve!: () => void;
    let reject!: (error: ResponsesStoreError) => void;
    const settled = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const pending: PendingWrite = { write, enqueuedAt, resolve, reject, settled };
    this.#track(write.id, settled);
    this.#buffer.push(pending);
    this.#kick();
    return settled;
  }

  /**
   * Runs `operation` on `id` in call order with this queue's writes of that id: after every write
   * of `id` queued before it has settled, and before any queued after it starts (a delete made
   * right after a store, or before one, without waiting). Its own failure is thrown.
   */
  async inOrder<T>(id: string, operation: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreClosedError();
    let result: { value: T } | undefined;
    let resolve!: () => void;
    let reject!: (error: ResponsesStoreError) => void;
    const settled = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const run = async () => {
      result = { value: await operation() };
    };
    this.#track(id, settled);
    // The write it carries only names the id: the batch takers never write it.
    this.#buffer.push({ write: { kind: "update", id } as ResponseWrite, enqueuedAt: performance.now(), resolve, reject, settled, run });
    this.#kick();
    await settled;
    return result!.value;
  }

  /** Waits until the buffer has room, or fails at `deadline` (a full queue that stays full: the database is not keeping up). */
  async #room(deadline: number): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.#roomWaiters.push(wake);
    const timer = setTimeout(wake, Math.max(0, deadline - performance.now()));
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      const at = this.#roomWaiters.indexOf(wake);
      if (at >= 0) this.#roomWaiters.splice(at, 1);
    }
    if (this.#buffer.length >= this.#maxSize && performance.now() >= deadline) {
      this.#stats.failed++;
      throw storageError(
        "storeResponseObject",
        new DeadlineExceeded(`room in the write queue (${this.#maxSize} writes waiting)`, this.#deadlineMs),
        undefined,
        true,
      );
    }
  }

  /** Notes a write or operation of `id` until it settles (flush and settledFor wait for it). */
  #track(id: string, settled: Promise<void>): void {
    const quiet = settled.catch(() => {});
    this.#unsettled.add(quiet);
    this.#latestById.set(id, quiet);
    void quiet.then(() => {
      this.#unsettled.delete(quiet);
      if (this.#latestById.get(id) === quiet) this.#latestById.delete(id);
    });
  }

  /** Runs an operation in order, then lets the writes of its id after it go. */
  async #runInOrder(pending: PendingWrite): Promise<void> {
    try {
      await pending.run!();
      pending.resolve();
    } catch (error) {
      pending.reject(error as ResponsesStoreError);
    } finally {
      this.#inFlightIds.delete(pending.write.id);
      this.#kick();
    }
  }

  /** Resolves once the newest queued write of `id` (if any) has settled. */
  settledFor(id: string): Promise<void> | undefined {
    return this.#latestById.get(id);
  }

  /** Resolves once every write queued so far has settled (successfully or not). */
  async flush(): Promise<void> {
    await Promise.all([...this.#unsettled]);
  }

  /** Stops accepting writes and waits for the queued ones to settle. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#roomWaiters.splice(0)) wake();
    await this.flush();
    await this.#workers.drained();
  }

  /** Counters and current depth. */
  stats(): WriteQueueStats {
    const s = this.#stats;
    return {
      depth: this.#buffer.length,
      waitingForRoom: this.#roomWaiters.length,
      inFlightBatches: this.#inFlightBatches,
      written: s.written,
      failed: s.failed,
      batches: s.batches,
      rowsInBatches: s.rowsInBatches,
      maxBatchSize: s.maxBatchSize,
      retries: s.retries,
      splitBatches: s.splitBatches,
      meanLatencyMs: s.written ? s.latencySum / s.written : 0,
      maxLatencyMs: s.maxLatencyMs,
    };
  }

  /**
   * Starts a worker when there is work and a free slot. While batches are in flight a further
   * worker starts only once PARALLEL_BATCH_THRESHOLD writes are waiting: a trickle gathers into
   * the next batch instead of being split thin across idle workers, and a flood still gets
   * every worker (measured in bench/queue-throughput.ts with 64 writers: 16 and 32 beat 1, 4
   * and 8; 16 keeps latency lower for fewer writers).
   */
  #kick(): void {
    const active = this.#workers.running() + this.#workers.length();
    if (!this.#buffer.length || active >= this.#concurrency) return;
    if (active === 0 || this.#buffer.length >= Math.min(PARALLEL_BATCH_THRESHOLD, this.#batchSize)) {
      this.#workers.push().catch((error: unknown) => this.#report(error));
    }
  }

  /** A worker: writes batches until none is ready. Never throws. */
  async #drain(): Promise<void> {
    for (;;) {
      const batch = this.#takeBatch();
      if (!batch.length) return;
      this.#inFlightBatches++;
      try {
        await this.#writeBatch(batch);
      } catch (error) {
        // Unreachable by design; if it happens, the writes still settle and the worker lives.
        this.#report(error);
        for (const w of batch) this.#fail(w, storageError("storeResponseObject", error, undefined, false));
      } finally {
        this.#inFlightBatches--;
        for (const w of batch) this.#inFlightIds.delete(w.write.id);
        this.#kick(); // writes of these ids that waited may go now
      }
      // Let the writers this batch acknowledged run first: in a closed loop they store again at
      // once, and the next batch takes them along instead of leaving with a few rows (each
      // batch costs a commit and a round trip whatever its size; bench/queue-throughput.ts).
      await setImmediate();
    }
  }

  /**
   * Takes up to batchSize writes with distinct ids, none in flight in another batch. A write
   * whose id is blocked (in flight, already taken, or left behind an earlier write of that id)
   * stays, so writes to one id commit in the order they were made.
   */
  #takeBatch(): PendingWrite[] {
    const batch: PendingWrite[] = [];
    const rest: PendingWrite[] = [];
    const blocked = new Set(this.#inFlightIds);
    for (const w of this.#buffer) {
      const id = w.write.id;
      if (w.run && !blocked.has(id)) {
        // An operation in order whose turn has come: it runs alone; its id stays blocked until it settles.
        this.#inFlightIds.add(id);
        void this.#runInOrder(w);
      } else if (!w.run && batch.length < this.#batchSize && !blocked.has(id)) {
        batch.push(w);
        this.#inFlightIds.add(id);
      } else {
        rest.push(w);
      }
      blocked.add(id);
    }
    this.#buffer = rest;
    for (let room = this.#maxSize - this.#buffer.length; room > 0 && this.#roomWaiters.length; room--) this.#roomWaiters.shift()!();
    return batch;
  }

  /** Writes a batch with retries; splits it when a permanent error hits a batch of several. */
  async #writeBatch(batch: PendingWrite[]): Promise<void> {
    const started = performance.now();
    const deadline = Math.min(...batch.map((w) => w.enqueuedAt)) + this.#deadlineMs;
    for (let attempt = 1; ; attempt++) {
      try {
        // The batch's attempt is cut off at its oldest write's deadline; a batch of several waits
        // only briefly for a row lock, then splits, so one locked row holds up no other id.
        const failed = await this.#write(
          batch.map((w) => w.write),
          batch.length > 1 ? { at: deadline, lockWaitMs: BATCH_LOCK_WAIT_MS } : { at: deadline },
        );
        this.#stats.batches++;
        this.#stats.rowsInBatches += batch.length;
        this.#stats.maxBatchSize = Math.max(this.#stats.maxBatchSize, batch.length);
        this.emit("batch", { size: batch.length, attempts: attempt, ms: performance.now() - started });
        for (const w of batch) {
          const error = failed.get(w.write.id);
          if (error) this.#fail(w, error);
          else this.#succeed(w);
        }
        return;
      } catch (error) {
        const cause = error instanceof StorageError ? error.cause : error;
        const transient = error instanceof StorageError ? error.retryable : isTransient(error);
        if (!transient && batch.length > 1) {
          // Find the bad write: each one alone, so the others still commit.
          this.#stats.splitBatches++;
          for (const w of batch) await this.#writeBatch([w]);
          return;
        }
        if (transient && batch.length > 1 && (attempt >= 2 || isLockTimeout(cause))) {
          // Failing again, or a row lock held elsewhere: perhaps one write fails by itself (too
          // large for a statement timeout, or its row locked by another transaction).
          // Each alone, side by side (distinct ids), within its own deadline: the others commit.
          this.#stats.splitBatches++;
          await Promise.all(batch.map((w) => this.#writeBatch([w])));
          return;
        }
        const delayMs = backoffDelay(attempt, this.#retry);
        if (!transient || performance.now() + delayMs > deadline) {
          const failure =
            isResponsesStoreError(error) && !(error instanceof StorageError)
              ? error
              : storageError("storeResponseObject", cause, attempt, transient);
          for (const w of batch) this.#fail(w, failure);
          return;
        }
        this.#stats.retries++;
        this.emit("retry", { size: batch.length, attempt, delayMs, error });
        await sleep(delayMs);
      }
    }
  }

  #succeed(w: PendingWrite): void {
    const latency = performance.now() - w.enqueuedAt;
    this.#stats.written++;
    this.#stats.latencySum += latency;
    this.#stats.maxLatencyMs = Math.max(this.#stats.maxLatencyMs, latency);
    w.resolve();
  }

  #fail(w: PendingWrite, error: ResponsesStoreError): void {
    this.#stats.failed++;
    w.reject(error);
    this.emit("writeError", { id: w.write.id, error });
  }

  #report(error: unknown): void {
    this.emit("writeError", { id: "(queue)", error: storageError("writeQueue", error, undefined, false) });
  }
}
