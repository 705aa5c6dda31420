/**
 * The store's lifecycle, as the base of ResponsesStore: initialize, flush, stats and shutdown over the runtime.
 *
 * The Responses API itself is the subclass's (store.ts); this class holds only what every store
 * does to start, drain and stop, so that the facade reads as the API it serves.
 */
import type { ProviderName } from "../db/providers.js";
import type { StoreRuntime, StoreStats } from "./runtime.js";

/**
 * Start, drain and stop: the lifecycle every {@link ResponsesStore} has.
 *
 * @example
 * ```ts
 * const store = new ResponsesStore();
 * await store.initialize();
 * await store.shutdown();
 * ```
 */
export class StoreLifecycle implements AsyncDisposable {
  readonly #provider: ProviderName;
  readonly #runtime: StoreRuntime;

  /**
   * Over the runtime of one store (built by ResponsesStore's constructor).
   *
   * @example
   * ```ts
   * class MyStore extends StoreLifecycle {}
   * ```
   */
  constructor(runtime: StoreRuntime, provider: ProviderName) {
    this.#runtime = runtime;
    this.#provider = provider;
  }

  /**
   * The database family in use.
   * @example
   * ```ts
   * if (store.provider === "sqlite") console.log("embedded database");
   * ```
   */
  get provider(): ProviderName {
    return this.#provider;
  }

  /**
   * Connects and applies pending migrations (unless `migrate: false`); idempotent, safe across processes.
   * @example
   * ```ts
   * await store.initialize(); // configuration and migration errors surface here
   * ```
   * @throws MigrationError, StorageError, StoreClosedError
   */
  async initialize(): Promise<void> {
    await this.#runtime.connect();
  }

  /**
   * Waits until every write started so far has settled (for callers that did not await theirs).
   * @example
   * ```ts
   * void store.storeResponseObject(response, input); // fire and forget
   * await store.flush();
   * ```
   */
  async flush(): Promise<void> {
    await this.#runtime.flush();
  }

  /**
   * The write queue's counters, the replicas' routing and the retention reaper's counts;
   * `undefined` without any of them (SQLite's default).
   * @example
   * ```ts
   * const { depth, retries, meanLatencyMs } = store.stats() ?? {};
   * ```
   */
  stats(): StoreStats | undefined {
    return this.#runtime.stats();
  }

  /**
   * Refuses new calls, drains writes and calls in progress, closes the connections (idempotent).
   * @example
   * ```ts
   * process.once("SIGTERM", () => void store.shutdown());
   * ```
   */
  async shutdown(): Promise<void> {
    await this.#runtime.shutdown();
  }

  /**
   * Shuts the store down at the end of an `await using` scope.
   * @example
   * ```ts
   * await store[Symbol.asyncDispose]();
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
