/**
 * The store's plumbing: lazy connect, calls in flight, routed reads, writes and their reports, the close order.
 *
 * Every call of the facade goes through here: `read` and `onPrimary` take the wait for queued
 * writes (read-after-write) as their first argument, so each call says in one word what it must
 * see.
 */
import type { ReplicaRouter, ReplicaStats } from "../db/replicas.js";
import { DeadlineExceeded, beforeDeadline, type CallBounds } from "../db/deadline.js";
import { runStorage, storageError } from "../db/transient.js";
import { transactionDb, type Db } from "../db/client.js";
import { dialectFor, redactUrl } from "../db/providers.js";
import { StorageError, StoreClosedError, isResponsesStoreError } from "../errors.js";
import type { ResolvedOptions } from "../options.js";
import { idleQueueStats, type WriteQueue, type WriteQueueStats } from "../queue/write-queue.js";
import type { ConversationMessagesRepository } from "../repository/conversation-messages-repository.js";
import type { ConversationsRepository } from "../repository/conversations-repository.js";
import type { LeasesRepository } from "../repository/leases-repository.js";
import type { ResponseEventsRepository } from "../repository/response-events-repository.js";
import type { RememberedTurns } from "../repository/remembered-turns.js";
import type { ResponsesRepository } from "../repository/responses-repository.js";
import type { ResponseWrite, WriteAccess } from "../repository/responses-table.js";
import { openBackend } from "./connect.js";
import { RetentionReaper, type RetentionStats } from "./retention.js";
import { EventWaker } from "./event-waker.js";
import { ANY_READ, type ReadRoute } from "../schemas/params.js";
import { checkTokenDatabase, encodeToken } from "./consistency.js";

/**
 * What `stats()` reports: the write queue's counters, with the replicas' routing and the
 * retention reaper's counts where those run.
 *
 * @example
 * ```ts
 * const expired = store.stats()?.retention?.expired ?? 0;
 * ```
 */
export type StoreStats = WriteQueueStats & { replicas?: ReplicaStats; retention?: RetentionStats };

/** The repositories over one connection (the primary's, or a replica's). */
export interface Repositories {
  responses: ResponsesRepository;
  messages: ConversationMessagesRepository;
  conversations: ConversationsRepository;
  leases: LeasesRepository;
  events: ResponseEventsRepository;
}

/** What `initialize()` opened: the primary's connection and repositories, the write queue, the read replicas. */
export interface Backend extends Repositories {
  db: Db;
  /** The database's identity in consistency tokens (the same on every instance, node and replica of it). */
  database: string;
  queue: WriteQueue | undefined;
  /** With read replicas: where reads go, and each replica's repositories. */
  replicas: { router: ReplicaRouter; repositories: Map<Db, Repositories> } | undefined;
}

/**
 * What a call waits for before it touches the data: the queued writes of one response id, every
 * write queued so far, or nothing (calls on tables the queue never writes).
 */
export type Settle = { id: string } | "all" | "none";

/** Repositories over a call's bounded view of a connection, each made when first used. */
class BoundedRepositories implements Repositories {
  readonly #base: Repositories;
  readonly #db: Db;
  #responses: Repositories["responses"] | undefined;
  #messages: Repositories["messages"] | undefined;
  #conversations: Repositories["conversations"] | undefined;
  #leases: Repositories["leases"] | undefined;
  #events: Repositories["events"] | undefined;
  constructor(base: Repositories, db: Db) {
    this.#base = base;
    this.#db = db;
  }
  get responses(): Repositories["responses"] {
    return (this.#responses ??= this.#base.responses.on(this.#db));
  }
  get messages(): Repositories["messages"] {
    return (this.#messages ??= this.#base.messages.on(this.#db));
  }
  get conversations(): Repositories["conversations"] {
    return (this.#conversations ??= this.#base.conversations.on(this.#db));
  }
  get leases(): Repositories["leases"] {
    return (this.#leases ??= this.#base.leases.on(this.#db));
  }
  get events(): Repositories["events"] {
    return (this.#events ??= this.#base.events.on(this.#db));
  }
}

/** A backend whose attempts on the primary are bounded by one call's bounds; made when first used (a queued write uses none of it). */
class BoundedBackend implements Backend {
  readonly #base: Backend;
  readonly #bounds: CallBounds;
  #db: Db | undefined;
  #repositories: BoundedRepositories | undefined;
  constructor(base: Backend, bounds: CallBounds) {
    this.#base = base;
    this.#bounds = bounds;
  }
  get db(): Db {
    return (this.#db ??= this.#base.db.within(this.#bounds));
  }
  get #bounded(): BoundedRepositories {
    return (this.#repositories ??= new BoundedRepositories(this.#base, this.db));
  }
  get responses(): Repositories["responses"] {
    return this.#bounded.responses;
  }
  get messages(): Repositories["messages"] {
    return this.#bounded.messages;
  }
  get conversations(): Repositories["conversations"] {
    return this.#bounded.conversations;
  }
  get leases(): Repositories["leases"] {
    return this.#bounded.leases;
  }
  get events(): Repositories["events"] {
    return this.#bounded.events;
  }
  get database(): string {
    return this.#base.database;
  }
  get queue(): Backend["queue"] {
    return this.#base.queue;
  }
  get replicas(): Backend["replicas"] {
    return this.#base.replicas;
  }
}

/** The plumbing under one ResponsesStore. */
export class StoreRuntime {
  readonly #options: ResolvedOptions;
  readonly #remembered: RememberedTurns;
  readonly #writeAccess: WriteAccess;
  #ready: Promise<Backend> | undefined;
  /** Set once connected, so calls skip awaiting #ready. */
  #backend: Backend | undefined;
  #closed = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Whether calls carry a deadline (the engine's pools can be cut off), and whether the pool is a host's. */
  readonly #deadlines: boolean;
  readonly #hostPool: boolean;
  /** Automatic expiry, when configured: started once connected, stopped first on shutdown. */
  readonly #reaper: RetentionReaper | undefined;
  /** Wakes followers of response events; closed on shutdown, which ends them. */
  readonly events: EventWaker;

  /** `writeAccess`: what writes are checked against; `remembered`: the turns the repositories remember (cleared on shutdown). */
  constructor(options: ResolvedOptions, remembered: RememberedTurns, writeAccess: WriteAccess) {
    this.#options = options;
    // The reaper's calls are the store's (bounded, waited for), and may finish during shutdown, which stops it first.
    // Followers LISTEN where the store owns its connections (a host's pool is the host's to hold).
    const ownPool = !options.prisma && !options.adapter;
    this.events = new EventWaker(dialectFor(options.provider), ownPool ? options.url : undefined, options.timeoutMs, options.logger);
    this.#reaper =
      options.retention &&
      new RetentionReaper(options.retention, (op) => this.#withBackend((backend) => op(backend), true), options.logger);
    this.#deadlines = dialectFor(options.provider).deadlines;
    this.#hostPool = Boolean(options.prisma ?? options.adapter);
    this.#remembered = remembered;
    this.#writeAccess = writeAccess;
  }

  /** Connects (once; concurrent callers share the attempt, a failed one may be tried again). */
  async connect(): Promise<Backend> {
    if (this.#closed) throw new StoreClosedError();
    this.#ready ??= openBackend(this.#options, this.#remembered, this.#writeAccess).then(
      (backend) => {
        this.#backend = backend;
        this.#reaper?.start();
        return backend;
      },
      (error: unknown) => {
        this.#ready = undefined; // a later call may try again (the database may come up)
        throw error;
      },
    );
    return this.#ready;
  }

  /**
   * Runs `fn` on the backend, connecting first if need be, as a call in flight (shutdown and
   * flush wait for it), within the call's deadline: `timeoutMs` from now bounds every attempt
   * it makes (`fn` gets the backend bounded by it, and the bounds), and its wait for the connection.
   */
  async #withBackend<T>(fn: (backend: Backend, bounds: CallBounds | undefined) => Promise<T>, duringShutdown = false): Promise<T> {
    const connected = this.#closed && !duringShutdown ? undefined : this.#backend;
    const { timeoutMs } = this.#options;
    // The store's own pools cut attempts off at the deadline; a host's pool cannot be told to,
    // so the call stops waiting for it instead (its statement runs on, under the host's bounds).
    const bounds = this.#deadlines && !this.#hostPool ? { at: performance.now() + timeoutMs } : undefined;
    const run = (backend: Backend) => fn(bounds ? new BoundedBackend(backend, bounds) : backend, bounds);
    const call = () => (connected ? run(connected) : this.#connectWithin(timeoutMs).then(run));
    const op = this.#deadlines && this.#hostPool ? runStorage("call", () => beforeDeadline("the call", timeoutMs, call)) : call();
    this.#inFlight.add(op);
    try {
      return await op;
    } finally {
      this.#inFlight.delete(op);
    }
  }

  /** Waits for what `settle` names to be written. */
  static async #settled(backend: Backend, settle: Settle): Promise<void> {
    if (settle === "none" || !backend.queue) return;
    if (settle === "all") await backend.queue.flush();
    else await backend.queue.settledFor(settle.id);
  }

  /**
   * A read: after `settle`, on a replica when one may answer it, else on the primary. `missing`
   * says which answers a replica may lack (they are asked of the primary).
   */
  read<T>(
    settle: Settle,
    op: (repositories: Repositories) => Promise<T>,
    missing?: (value: T) => boolean,
    route: ReadRoute = ANY_READ,
  ): Promise<T> {
    return this.#withBackend(async (backend, bounds) => {
      checkTokenDatabase(route, backend.database);
      await StoreRuntime.#settled(backend, settle);
      const replicas = backend.replicas;
      if (!replicas) return op(backend); // every read is the primary's: it has seen every token
      const needs = { primary: route.primary, atLeast: route.token ? (route.token.position ?? null) : undefined };
      const on = (db: Db): Repositories => {
        const replica = replicas.repositories.get(db);
        if (!replica) return backend; // the primary's, bounded already
        return bounds ? new BoundedRepositories(replica, db.within(bounds)) : replica;
      };
      return replicas.router.read(on, op, missing, needs);
    });
  }

  /**
   * A token covering every write this store has acknowledged: the primary's position after the
   * newest (where replicas track it), on this database.
   */
  consistencyToken(): Promise<string> {
    return this.#withBackend(async (backend) => encodeToken(backend.database, backend.replicas?.router.ownWrites()));
  }

  /**
   * A write (or read that must see the primary) after `settle`. With read replicas, the
   * primary's position after it is noted, whether or not it succeeded (part of it may be
   * committed), so that this store's later reads never go to a replica that has not replayed it.
   */
  onPrimary<T>(settle: Settle, op: (backend: Backend) => Promise<T>): Promise<T> {
    return this.#withBackend(async (backend) => {
      await StoreRuntime.#settled(backend, settle);
      return StoreRuntime.#noting(backend, () => op(backend));
    });
  }

  /**
   * An operation on repositories bound to one transaction on the primary, after the queued
   * writes `settle` names: everything it does commits together, or nothing does.
   */
  transaction<T>(settle: Settle, op: (repositories: Repositories, writeAccess: WriteAccess) => Promise<T>): Promise<T> {
    return this.#withBackend(async (backend) => {
      await StoreRuntime.#settled(backend, settle);
      return StoreRuntime.#noting(backend, () =>
        backend.db.transaction((tx) => {
          const db = transactionDb(tx);
          const repositories = {
            responses: backend.responses.on(db),
            messages: backend.messages.on(db),
            conversations: backend.conversations.on(db),
            leases: backend.leases.on(db),
            events: backend.events.on(db),
          };
          return op(repositories, this.#writeAccess);
        }),
      );
    });
  }

  /**
   * An operation on the primary in call order with the writes of `id` (a delete): after those
   * made before it, before those made after it, awaited or not.
   */
  inOrder<T>(id: string, op: (backend: Backend) => Promise<T>): Promise<T> {
    return this.#withBackend((backend) => {
      const run = () => StoreRuntime.#noting(backend, () => op(backend));
      return backend.queue ? backend.queue.inOrder(id, run) : run();
    });
  }

  static async #noting<T>(backend: Backend, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } finally {
      await backend.replicas?.router.noteWrite();
    }
  }

  /** One write of the responses table, through the queue where there is one; its own failure is thrown. */
  write(write: ResponseWrite): Promise<void> {
    return this.#withBackend(async (backend) => {
      if (backend.queue) return backend.queue.enqueue(write); // the queue notes its batches
      const error = await StoreRuntime.#noting(backend, async () =>
        (await backend.responses.write([write], this.#writeAccess)).get(write.id),
      );
      if (error) throw error;
    });
  }

  /**
   * Runs a write call so that a failure reaches onWriteError and the logs, and so that callers
   * who do not await never meet an unhandled rejection; awaiting callers still get it.
   */
  reporting(operation: string, id: unknown, fn: () => Promise<void>): Promise<void> {
    const done = fn().catch((error: unknown) => {
      this.#reportWriteError(operation, error, id);
      throw error;
    });
    done.catch(() => {});
    return done;
  }

  #reportWriteError(operation: string, error: unknown, id: unknown): void {
    const { logger, onWriteError } = this.#options;
    const write = { id: typeof id === "string" ? id : "(unknown)" };
    const storeError = isResponsesStoreError(error) ? error : new StorageError(operation, false, { cause: error });
    const log = storeError instanceof StorageError ? logger.error : logger.warn;
    log(`openai-responses-store: ${operation} of response ${write.id} failed: ${storeError.message}`);
    try {
      onWriteError?.(storeError, write);
    } catch (hookError) {
      logger.error("openai-responses-store: onWriteError threw", hookError);
    }
  }

  /** Connects, or fails with a retryable StorageError at the call's deadline (the attempt goes on for later calls). */
  async #connectWithin(timeoutMs: number): Promise<Backend> {
    try {
      return await beforeDeadline("to connect", timeoutMs, () => this.connect());
    } catch (error) {
      if (error instanceof DeadlineExceeded) throw storageError("connect", error, undefined, true);
      throw error;
    }
  }

  /** Waits until every call started so far has settled, and every queued write. */
  async flush(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
    await this.#backend?.queue?.flush();
  }

  /** The queue's counters, the replicas' routing and the reaper's counts, or undefined when none exists. */
  stats(): StoreStats | undefined {
    const queue = this.#backend?.queue?.stats();
    const replicas = this.#backend?.replicas?.router.stats(redactUrl);
    const retention = this.#reaper?.stats();
    if (!replicas && !retention) return queue;
    return { ...(queue ?? idleQueueStats()), ...(replicas && { replicas }), ...(retention && { retention }) };
  }

  /** Refuses new calls, drains the queue, waits for calls in flight, then closes replicas and the primary. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#remembered.clear();
    const ready = this.#ready;
    const backend = ready ? await ready.catch(() => undefined) : undefined;
    await this.#reaper?.stop(); // its batch in progress finishes; its lease is given up
    await this.events.close(); // followers end
    await backend?.queue?.close(); // drains every queued write
    await this.flush();
    backend?.replicas?.router.stop();
    // Closing the pools is bounded too: a server that stopped answering cannot hold shutdown.
    const close = (db: Db) => beforeDeadline("to close the connection", this.#options.timeoutMs, () => db.dispose());
    await Promise.all([...(backend?.replicas?.repositories.keys() ?? [])].map((db) => close(db).catch(() => {})));
    if (backend)
      await close(backend.db).catch((error: unknown) =>
        this.#options.logger.warn(`openai-responses-store: the database connection did not close cleanly: ${(error as Error).message}`),
      );
  }
}
