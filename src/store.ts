/**
 * ResponsesStore: the public orchestrator. Each method parses its arguments, decides access,
 * and hands one operation to the repository. Nothing here speaks SQL or Prisma.
 */
import { z } from "zod";
import { isAllowed } from "./access/decide.js";
import type { Action, ResourceType } from "./access/policy.js";
import { ownerColumns, ownerKey } from "./access/owner.js";
import { allowedRows, and, not, type RowCondition } from "./access/where.js";
import { adapterDb, prismaDb, type Db, type SqlDriverAdapter } from "./db/client.js";
import { openDriverDb } from "./db/drivers.js";
import { ReplicaRouter, type ReplicaStats } from "./db/replicas.js";
import { migrate } from "./db/migrate.js";
import { dialectFor, redactUrl } from "./db/providers.js";
import {
  AccessDeniedError,
  ConversationIdConflictError,
  ConversationNotFoundError,
  InvalidParameterError,
  ResponseNotFoundError,
  StorageError,
  StoreClosedError,
  ValidationError,
  isResponsesStoreError,
} from "./errors.js";
import { WriteQueue, type WriteQueueStats } from "./queue/write-queue.js";
import { resolveOptions, type ResolvedOptions, type ResponsesStoreOptions } from "./options.js";
import { pageInputItemsOf } from "./repository/input-items.js";
import type { ListPage } from "./repository/keyset.js";
import { ConversationsRepository } from "./repository/conversations-repository.js";
import { ResponsesRepository, type ResponseRow, type ResponseWrite, type StoredBlob } from "./repository/responses-repository.js";
import { digestMode } from "./repository/chain-sql.js";
import { KnownTurns } from "./repository/known-turns.js";
import type { DigestMode } from "./repository/chain.js";
import { inputItemSchema, type InputItem } from "./schemas/input-item.js";
import { checkJsonValue } from "./schemas/json.js";
import { chatCompletionMessageSchema, type ChatCompletionMessage } from "./schemas/message.js";
import { keyString } from "./schemas/common.js";
import {
  listInputItemsParamsSchema,
  listResponsesParamsSchema,
  parseParams,
  parseUser,
  pathKey,
  type ListInputItemsParams,
  type ListResponsesParams,
  type User,
} from "./schemas/params.js";
import { responseObjectSchema, type ResponseObject } from "./schemas/response.js";

/** A stored response as listed: the response object with the `input` it was given. */
export type ResponseWithInput = ResponseObject & { input: InputItem[] };

/** A stored response as read by id: with its `input` and the chat `messages` of its last turn. */
export type StoredResponse = ResponseWithInput & { messages?: ChatCompletionMessage[] | null };

/** What `deleteResponseObject` returns, as the Responses API does. */
export interface DeleteResult {
  id: string;
  object: "response";
  deleted: true;
}

/** The repositories over one connection (the primary's, or a replica's). */
interface Repositories {
  repository: ResponsesRepository;
  conversations: ConversationsRepository;
}

interface Connection extends Repositories {
  db: Db;
  queue: WriteQueue | undefined;
  /** With read replicas: where reads go, and each replica's repositories. */
  replicas: { router: ReplicaRouter; repositories: Map<Db, Repositories> } | undefined;
}

/** Options of `pruneResponses`. */
export interface PruneParams {
  /** Delete responses created before this moment (a Date, or unix seconds). */
  olderThan: Date | number;
  /** Rows deleted per statement. @default 500 */
  batchSize?: number;
  /** Only rows this caller may delete (ignored with `allOwners`). */
  user?: User | null;
  /** Every owner's rows: an operator's retention job. @default false */
  allOwners?: boolean;
  /** Only rows stored by this principal ("" for rows stored without a user), whatever the policy: an operator's per-user job. */
  owner?: string;
  /** Hears, after each batch, the running total and how many rows matched at the start. */
  onProgress?: (deleted: number, total: number) => void;
}

/**
 * Rows and bytes, in all or of one model.
 *
 * @example
 * ```ts
 * const { bytes, storedBytes } = await store.storageStats({ allOwners: true });
 * console.log(`history ${bytes} bytes, kept in ${storedBytes}`);
 * ```
 */
export interface StorageCounts {
  /** Responses (deleted ones left out). */
  rows: number;
  /** Bytes of the JSON reads return: each response with its whole input and messages. */
  bytes: number;
  /**
   * Bytes of JSON stored: a turn that continues another keeps only its new items, so a long
   * conversation stores each item once; deleted turns later turns build on are counted.
   */
  storedBytes: number;
  /** Deleted turns kept because later turns build on them (gone with the last of those). */
  retained: number;
}

/**
 * What `storageStats` returns: the counts in all, and per model.
 *
 * @example
 * ```ts
 * const { rows, byModel } = await store.storageStats({ user });
 * ```
 */
export interface StorageStats extends StorageCounts {
  byModel: (StorageCounts & { model: string })[];
}

/**
 * Options of `compactResponses`.
 *
 * @example
 * ```ts
 * const params: CompactParams = { batchSize: 200, onProgress: (done, total) => console.log(`${done}/${total}`) };
 * await store.compactResponses(params);
 * ```
 */
export interface CompactParams {
  /** Rows read per round (each row is rewritten in its own transaction). @default 500 */
  batchSize?: number;
  /** Hears, after each round, how many rows were rewritten and how many were left at the start. */
  onProgress?: (done: number, total: number) => void;
}

/** One response to import, with the owner it had. */
export interface ImportRecord {
  response: ResponseObject;
  input: InputItem[];
  messages?: ChatCompletionMessage[] | null;
  owner: User | null;
}

/** Per-call options of single-response methods. */
export interface CallOptions {
  /** The caller; `null` or absent for "no user". */
  user?: User | null;
}

/**
 * Options of `updateResponseObject`.
 *
 * @example
 * ```ts
 * const options: UpdateOptions = { user, input: newInput }; // input: optional
 * ```
 */
export interface UpdateOptions extends CallOptions {
  /** The input items to keep from now on; absent: the stored ones stay. */
  input?: readonly InputItem[];
}

/** How often replicas' replay positions and lag are sampled, and failed ones probed. */
const REPLICA_PROBE_MS = 250;
/** A replica that takes longer than this to connect or answer leaves the rotation. */
const REPLICA_TIMEOUT_MS = 2000;

/** Queue counters when writes go straight to the database (replica stats still report). */
function idleQueueStats(): WriteQueueStats {
  return { depth: 0, waitingForRoom: 0, inFlightBatches: 0, written: 0, failed: 0, batches: 0, rowsInBatches: 0, maxBatchSize: 0, retries: 0, splitBatches: 0, meanLatencyMs: 0, maxLatencyMs: 0 };
}

/** Each stored argument's schema, plus the check that it round-trips through JSON unchanged. */
const VALIDATORS = {
  conversation_id: keyString("conversation_id"),
  response: responseObjectSchema,
  input: z.array(inputItemSchema),
  messages: z.array(chatCompletionMessageSchema),
} as const satisfies Record<string, z.ZodType>;
const JSON_SAFE = Object.fromEntries(
  Object.entries(VALIDATORS).map(([k, schema]) => [k, schema.superRefine((v, ctx) => void checkJsonValue(v, ctx))]),
) as unknown as Record<keyof typeof VALIDATORS, z.ZodType>;

/**
 * Keeps OpenAI Responses API objects (with their input items and chat-completion messages) in
 * SQLite, PostgreSQL or MySQL/MariaDB, with owner isolation and keyset pagination.
 *
 * Methods initialize the store on first use; `createResponsesStore()` does it up front so that
 * configuration and migration errors surface at startup.
 *
 * @example
 * ```ts
 * const store = new ResponsesStore({ url: "file:./responses.db" });
 * await store.initialize();
 * await store.storeResponseObject(response, input, messages, { user });
 * const page = await store.listResponses({ limit: 10, user });
 * await store.shutdown();
 * ```
 */
export class ResponsesStore implements AsyncDisposable {
  readonly #options: ResolvedOptions;
  #ready: Promise<Connection> | undefined;
  /** Set once connected, so calls skip awaiting #ready. */
  #connected: Connection | undefined;
  #closed = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** What a caller without a user may act on, per action and resource type (the policy is fixed). */
  readonly #anonymousRows = new Map<string, RowCondition>();
  /** The newest turns of recent conversations, remembered whole (repository/known-turns.ts). */
  readonly #known: KnownTurns;

  /**
   * @throws ConfigurationError when the options are invalid (nothing is connected yet).
   */
  constructor(options: ResponsesStoreOptions = {}) {
    this.#options = resolveOptions(options);
    this.#known = new KnownTurns(this.#options.historyCacheBytes);
  }

  /** The database family in use: "sqlite", "postgresql" or "mysql". */
  get provider() {
    return this.#options.provider;
  }

  /**
   * Connects and applies pending migrations (unless `migrate: false`). Idempotent; concurrent
   * calls share one run. Safe when several processes start on one database at once.
   *
   * @throws MigrationError, StorageError
   */
  async initialize(): Promise<void> {
    await this.#connection();
  }

  /**
   * Stores a response with its input items and chat-completion messages. Storing an id again
   * replaces the stored response (never a second row) if the caller may change that row.
   * Resolves once the row is committed.
   *
   * Pass the turn's whole input and messages, as the Responses API takes them. When the
   * response continues `previous_response_id` and repeats that turn's history exactly, only
   * the new items are stored (linear storage); reads return the whole turn either way.
   *
   * @example
   * ```ts
   * await store.storeResponseObject(turn2, [...turn1Input, ...turn1.output, question], [...history, answer, question], { user });
   * ```
   *
   * @throws ValidationError when the response, input or messages are invalid (nothing written).
   * @throws AccessDeniedError when the policy does not let the caller create responses.
   * @throws ResponseIdConflictError when the id is stored and the caller may not update it.
   * @throws StorageError when the database fails.
   */
  storeResponseObject(
    response: ResponseObject,
    input: readonly InputItem[],
    messages: readonly ChatCompletionMessage[] = [],
    options: CallOptions = {},
  ): Promise<void> {
    return this.#reported((response as { id?: unknown } | null)?.id, () => this.#store(response, input, messages, options));
  }

  async #store(
    response: ResponseObject,
    input: readonly InputItem[],
    messages: readonly ChatCompletionMessage[],
    options: CallOptions,
  ): Promise<void> {
    const user = parseUser(options.user);
    validate("response", response);
    // The owner is captured here, at the call: a queued write never takes it from elsewhere.
    const columns = ownerColumns(user);
    // Items equal to those of the remembered parent turn were validated when it was stored.
    const known = this.#known.match(response.previous_response_id, ownerKey(columns), input, messages) ?? {};
    validate("input", input, known.validInput);
    validate("messages", messages, known.messages?.count);
    const blob = { ...response, input, messages } as unknown as StoredBlob;
    const row = { id: response.id, createdAt: response.created_at, model: response.model, responseObject: blob, ...columns };
    const owner = user ? { principal: user.principal, attributes: user.attributes ?? null } : null;
    // Without `create`, a store may still replace an existing row the caller may update.
    const mayCreate = isAllowed(this.#options.policy, "create", { id: row.id, owner }, user);
    await this.#write({ kind: "store", id: row.id, row, mayCreate, known });
  }

  /**
   * Updates a stored response through its lifecycle (a background response going queued, in
   * progress, then completed, failed or cancelled): the stored response object is replaced by
   * `response`; the stored input stays unless `input` is given; the stored chat messages always
   * stay; the owner never changes. Needs `update` under the policy. Through the write queue it
   * keeps its order with stores of the same id, and reads by this store see it at once.
   *
   * @example
   * ```ts
   * await store.storeResponseObject({ ...response, status: "queued" }, input, messages, { user });
   * await store.updateResponseObject({ ...response, status: "in_progress" }, { user });
   * await store.updateResponseObject({ ...response, status: "completed", output }, { user });
   * ```
   * @throws ValidationError when the response or input is invalid (nothing written).
   * @throws ResponseNotFoundError when the id is not stored or the caller may not see it.
   * @throws AccessDeniedError when the caller may see the response but not update it.
   * @throws StorageError when the database fails.
   */
  updateResponseObject(response: ResponseObject, options: UpdateOptions = {}): Promise<void> {
    return this.#reported((response as { id?: unknown } | null)?.id, async () => {
      const user = parseUser(options.user);
      validate("response", response);
      if (options.input !== undefined) validate("input", options.input);
      const { input: _input, messages: _messages, ...rest } = response as Record<string, unknown>;
      await this.#write({
        kind: "update",
        id: response.id,
        response: rest as StoredBlob,
        input: options.input === undefined ? undefined : [...options.input],
        createdAt: response.created_at,
        model: response.model,
        writer: user,
      });
    });
  }

  /** One write, through the queue where there is one; its own failure is thrown. */
  async #write(write: ResponseWrite): Promise<void> {
    await this.#track(async (connection) => {
      if (connection.queue) return connection.queue.enqueue(write); // the queue notes its batches
      const error = await this.#primaryWrite(async ({ repository }) => (await repository.write([write], this.#writeAccess)).get(write.id), connection);
      if (error) throw error;
    });
  }

  /**
   * A write on the primary. With read replicas, the primary's position after it is noted
   * (whether or not it succeeded: part of it may be committed), so that this store's later
   * reads never go to a replica that has not replayed it.
   */
  async #primaryWrite<T>(fn: (connection: Connection) => Promise<T>, connected?: Connection): Promise<T> {
    const run = async (connection: Connection) => {
      try {
        return await fn(connection);
      } finally {
        await connection.replicas?.router.noteWrite();
      }
    };
    return connected ? run(connected) : this.#track(run);
  }

  /** The rows a writer may read and update: what a queued or direct write is checked against. */
  readonly #writeAccess = (writer: User | null) => ({ read: this.#rows("read", writer), update: this.#rows("update", writer) });

  /**
   * Runs a write call so that a failure reaches onWriteError and the logs, and so that callers
   * who do not await never meet an unhandled rejection; awaiting callers still get it.
   */
  #reported(id: unknown, fn: () => Promise<void>): Promise<void> {
    const done = fn().catch((error: unknown) => {
      this.#reportWriteError(error, id);
      throw error;
    });
    done.catch(() => {});
    return done;
  }

  #reportWriteError(error: unknown, id: unknown): void {
    const write = { id: typeof id === "string" ? id : "(unknown)" };
    const storeError = isResponsesStoreError(error) ? error : new StorageError("storeResponseObject", false, { cause: error });
    const log = storeError instanceof StorageError ? this.#options.logger.error : this.#options.logger.warn;
    log(`openai-responses-store: storing response ${write.id} failed: ${storeError.message}`);
    try {
      this.#options.onWriteError?.(storeError, write);
    } catch (hookError) {
      this.#options.logger.error("openai-responses-store: onWriteError threw", hookError);
    }
  }

  /**
   * The stored response with its `input` and `messages`.
   *
   * @throws ResponseNotFoundError when it does not exist or the caller may not see it.
   */
  async getResponseObject(responseId: string, options: CallOptions = {}): Promise<StoredResponse> {
    const user = parseUser(options.user);
    const blob = await this.#track(async (connection) => {
      await connection.queue?.settledFor(String(responseId)); // read-after-write, even while the write is queued
      return this.#read(connection, ({ repository }) => repository.find(String(responseId), this.#rows("read", user)), (found) => found === undefined);
    });
    if (!blob) throw new ResponseNotFoundError(responseId);
    return blob as unknown as StoredResponse;
  }

  /**
   * A page of stored responses the caller may see, newest first by default, ordered by
   * (created_at, id) so no row is skipped or repeated across pages. Items carry `input` but
   * not the internal `messages`; with `includeInput: false` (history views) they carry
   * neither, and the database leaves them out of what it sends.
   *
   * @example
   * ```ts
   * const page = await store.listResponses({ user, limit: 20, includeInput: false });
   * ```
   *
   * @throws InvalidParameterError for a bad limit or order, or an `after` id the caller cannot see.
   */
  listResponses(params: ListResponsesParams & { includeInput: false }): Promise<ListPage<ResponseObject>>;
  listResponses(params?: ListResponsesParams): Promise<ListPage<ResponseWithInput>>;
  async listResponses(params: ListResponsesParams = {}): Promise<ListPage<ResponseWithInput | ResponseObject>> {
    const user = parseUser(params.user);
    const query = parseParams(listResponsesParamsSchema, { ...params, user: undefined });
    const page = await this.#track(async (connection) => {
      await connection.queue?.flush(); // every write queued before this call is visible to it
      return this.#read(connection, ({ repository }) => repository.page(query, this.#rows("read", user)));
    });
    const item = query.includeInput
      ? ({ messages: _messages, ...rest }: StoredBlob) => rest as unknown as ResponseWithInput
      : ({ messages: _messages, input: _input, ...rest }: StoredBlob) => rest as unknown as ResponseObject;
    return { ...page, data: page.data.map(item) };
  }

  /**
   * Deletes a stored response.
   *
   * @throws ResponseNotFoundError when it does not exist or the caller may not see it.
   */
  async deleteResponseObject(responseId: string, options: CallOptions = {}): Promise<DeleteResult> {
    const user = parseUser(options.user);
    const deleted = await this.#primaryWrite(async ({ repository, queue }) => {
      await queue?.settledFor(String(responseId)); // a queued write of this id lands before it is deleted
      // Deleting needs both: a row the caller may not read is "not found", never deletable.
      return repository.delete(String(responseId), and(this.#rows("read", user), this.#rows("delete", user)));
    });
    if (!deleted) throw new ResponseNotFoundError(responseId);
    return { id: responseId, object: "response", deleted: true };
  }

  /**
   * A page of the input items a response was given, newest first by default. `after`/`before`
   * are item ids in the requested order; compaction items are hidden; gated fields (image URLs,
   * logprobs, file-search results, reasoning content) are null unless named in `include`.
   *
   * @throws InvalidParameterError for both `after` and `before`, a bad limit, order or include.
   * @throws ResponseNotFoundError when the response does not exist or the caller may not see it.
   * @throws InputItemNotFoundError when `after` or `before` names no item of the response.
   */
  async listResponseInputItems(responseId: string, params: ListInputItemsParams = {}): Promise<ListPage<InputItem>> {
    const user = parseUser(params.user);
    const slice = parseParams(listInputItemsParamsSchema, { ...params, user: undefined });
    if (slice.after && slice.before) {
      throw new InvalidParameterError("before/after", "Cannot specify both 'before' and 'after' parameters");
    }
    const id = String(responseId);
    const visible = this.#rows("read", user);
    const page = await this.#track(async (connection) => {
      await connection.queue?.settledFor(id); // read-after-write, even while the write is queued
      return this.#read(connection, ({ repository }) => pageInputItemsOf((from) => repository.inputFrom(id, visible, from), slice, responseId), (p) => p === undefined);
    });
    if (!page) throw new ResponseNotFoundError(responseId);
    return page as ListPage<InputItem>;
  }

  /**
   * Retention: deletes responses created before `olderThan`, oldest first, in batches (so no
   * statement holds locks on a large share of the table). Owner-aware: only rows `user` may
   * delete under the policy; or, for an operator's job such as `responses-store prune`, every
   * owner's (`allOwners: true`) or one owner's (`owner`).
   *
   * @example
   * ```ts
   * const { deleted } = await store.pruneResponses({ olderThan: new Date(Date.now() - 30 * 86_400_000), allOwners: true });
   * ```
   */
  async pruneResponses(params: PruneParams): Promise<{ deleted: number }> {
    const user = parseUser(params.user);
    const { cutoff, batchSize } = this.#pruneWindow(params);
    const deletable = this.#deletable(params, user, "openai_responses");
    const deleted = await this.#primaryWrite(async ({ repository, queue }) => {
      await queue?.flush();
      return repository.prune(cutoff, deletable, batchSize, params.onProgress);
    });
    return { deleted };
  }

  /** What a prune may delete: one owner's rows, every owner's, or what `user` may delete. */
  #deletable(params: PruneParams, user: User | null, type: ResourceType): RowCondition {
    if (params.owner !== undefined) return params.owner === "" ? not({ kind: "owned" }) : { kind: "owner-is", principal: params.owner };
    if (params.allOwners) return and();
    return and(this.#rows("read", user, type), this.#rows("delete", user, type));
  }

  /** The cutoff (unix seconds) and batch size of a prune, checked. */
  #pruneWindow(params: PruneParams): { cutoff: number; batchSize: number } {
    const cutoff = params.olderThan instanceof Date ? Math.floor(params.olderThan.getTime() / 1000) : params.olderThan;
    if (!Number.isFinite(cutoff)) throw new InvalidParameterError("olderThan", "Invalid value for 'olderThan': expected a Date or unix seconds");
    return { cutoff, batchSize: checkedBatchSize(params.batchSize) };
  }

  /**
   * Stores the chat-completion messages of a conversation, replacing those stored before. A new
   * conversation needs `create` under the policy, replacing needs `update`; the owner is the
   * first writer's and never changes. Resolves once committed.
   *
   * @example
   * ```ts
   * await store.storeConversationMessages("conv_123", [{ role: "user", content: "Hi" }], { user });
   * ```
   * @throws ValidationError when the id or the messages are invalid (nothing written).
   * @throws ConversationIdConflictError when another owner's conversation has this id.
   * @throws AccessDeniedError when the policy does not let the caller create it.
   */
  async storeConversationMessages(conversationId: string, messages: readonly ChatCompletionMessage[], options: CallOptions = {}): Promise<void> {
    const user = parseUser(options.user);
    validate("conversation_id", conversationId);
    validate("messages", messages);
    const owner = user ? { principal: user.principal, attributes: user.attributes ?? null } : null;
    const mayCreate = isAllowed(this.#options.policy, "create", { id: conversationId, type: "conversation_messages", owner }, user);
    const row = { conversationId, messages: [...messages], now: Math.floor(Date.now() / 1000), ...ownerColumns(user) };
    const outcome = await this.#primaryWrite(({ conversations }) => conversations.store(row, this.#rows("update", user, "conversation_messages"), mayCreate));
    if (outcome === "refused") throw new ConversationIdConflictError(conversationId);
    if (outcome === "absent") throw new AccessDeniedError("create", conversationId, "conversation messages");
  }

  /**
   * The chat-completion messages stored for a conversation, or `null` when there are none the
   * caller may see.
   *
   * @example
   * ```ts
   * const messages = (await store.getConversationMessages("conv_123", { user })) ?? [];
   * ```
   */
  async getConversationMessages(conversationId: string, options: CallOptions = {}): Promise<ChatCompletionMessage[] | null> {
    const user = parseUser(options.user);
    const found = await this.#track((connection) =>
      this.#read(connection, ({ conversations }) => conversations.find(String(conversationId), this.#rows("read", user, "conversation_messages")), (m) => m === undefined),
    );
    return (found as ChatCompletionMessage[] | undefined) ?? null;
  }

  /**
   * Deletes the messages stored for a conversation.
   *
   * @example
   * ```ts
   * await store.deleteConversationMessages("conv_123", { user }); // { id: "conv_123", deleted: true }
   * ```
   * @throws ConversationNotFoundError when there are none, or the caller may not see or delete them.
   */
  async deleteConversationMessages(conversationId: string, options: CallOptions = {}): Promise<{ id: string; deleted: true }> {
    const user = parseUser(options.user);
    const deletable = and(this.#rows("read", user, "conversation_messages"), this.#rows("delete", user, "conversation_messages"));
    const deleted = await this.#primaryWrite(({ conversations }) => conversations.delete(String(conversationId), deletable));
    if (!deleted) throw new ConversationNotFoundError(conversationId);
    return { id: conversationId, deleted: true };
  }

  /**
   * Retention for conversation messages: deletes those last stored before `olderThan`, oldest
   * first, in batches; owner-aware exactly like `pruneResponses` (`user`, `owner` or
   * `allOwners`). `onProgress` hears the running total (its `total` is the same number).
   *
   * @example
   * ```ts
   * await store.pruneConversationMessages({ olderThan: new Date(Date.now() - 30 * 86_400_000), allOwners: true });
   * ```
   */
  async pruneConversationMessages(params: PruneParams): Promise<{ deleted: number }> {
    const user = parseUser(params.user);
    const { cutoff, batchSize } = this.#pruneWindow(params);
    const deletable = this.#deletable(params, user, "conversation_messages");
    const deleted = await this.#primaryWrite(({ conversations }) => conversations.prune(cutoff, deletable, batchSize, (k) => params.onProgress?.(k, k)));
    return { deleted };
  }

  /**
   * Rows and bytes per model, of the rows `user` may read, or of all with `allOwners`: the bytes
   * reads return (`bytes`) and the bytes stored (`storedBytes`), which linear storage keeps
   * close to what the turns added.
   *
   * @example
   * ```ts
   * const { rows, bytes, storedBytes, byModel } = await store.storageStats({ allOwners: true });
   * ```
   */
  async storageStats(params: { user?: User | null; allOwners?: boolean } = {}): Promise<StorageStats> {
    const user = parseUser(params.user);
    const byModel = await this.#track(async (connection) => {
      await connection.queue?.flush();
      return this.#read(connection, ({ repository }) => repository.storageStats(params.allOwners ? and() : this.#rows("read", user)));
    });
    const sum = (key: keyof StorageCounts) => byModel.reduce((n, m) => n + m[key], 0);
    return { rows: sum("rows"), bytes: sum("bytes"), storedBytes: sum("storedBytes"), retained: sum("retained"), byModel };
  }

  /**
   * An operator's view of who owns the stored rows: the owners with the most rows first (`""`
   * for rows stored without a user), at most `limit` (1..1000, default 10) of them. Whatever
   * the policy: call it from admin tools, never with a caller's request.
   *
   * @example
   * ```ts
   * const [top] = await store.ownerCounts({ limit: 1 }); // { owner: "alice", rows: 5 }
   * ```
   */
  async ownerCounts(params: { limit?: number } = {}): Promise<{ owner: string; rows: number }[]> {
    const limit = params.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidParameterError("limit", "Invalid value for 'limit': expected an integer between 1 and 1000");
    }
    return this.#track(async (connection) => {
      await connection.queue?.flush();
      return this.#read(connection, ({ repository }) => repository.ownerCounts(limit));
    });
  }

  /**
   * Copies already-stored responses in (an import), keeping their owners, and skips ids that
   * exist: running it twice inserts nothing twice. Each record is validated like a store call;
   * an invalid one is reported in `invalid`, the others are written.
   */
  async importResponses(records: readonly ImportRecord[]): Promise<{ inserted: string[]; skipped: string[]; invalid: { id: string; error: ValidationError }[] }> {
    const invalid: { id: string; error: ValidationError }[] = [];
    const rows: ResponseRow[] = [];
    for (const r of records) {
      try {
        const owner = parseUser(r.owner);
        validate("response", r.response);
        validate("input", r.input);
        validate("messages", r.messages ?? []);
        const blob = { ...r.response, input: r.input, ...(r.messages == null ? {} : { messages: r.messages }) } as unknown as StoredBlob;
        rows.push({ id: r.response.id, createdAt: r.response.created_at, model: r.response.model, responseObject: blob, ...ownerColumns(owner) });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        invalid.push({ id: String((r.response as { id?: unknown } | null)?.id ?? "(no id)"), error });
      }
    }
    const inserted = await this.#primaryWrite(async ({ repository }) => {
      const ids = await repository.insertAbsent(rows);
      // Into linear storage: oldest first, each turn against the parent its owner may read.
      await repository.compact(500, (owner) => this.#rows("read", owner), undefined, ids);
      return ids;
    });
    const done = new Set(inserted);
    return { inserted, skipped: rows.filter((r) => !done.has(r.id)).map((r) => r.id), invalid };
  }

  /**
   * Rewrites into linear storage the responses stored whole that no run has examined yet: rows
   * an earlier release stored, and turns stored whole because their parent was still queued or
   * in the same batch. Oldest first and in batches: a turn that continues a parent its owner
   * may read, with the history that parent holds, keeps only its new items. Reads return the
   * same before and after. Resumable (an interrupted run leaves every row whole and readable;
   * the next one goes on); a second run finds nothing new. An operator's job:
   * `responses-store compact`.
   *
   * @example
   * ```ts
   * const { compacted, linked } = await store.compactResponses({ batchSize: 200, onProgress: (done, total) => log(done, total) });
   * ```
   * @throws InvalidParameterError for a bad batch size.
   */
  async compactResponses(params: CompactParams = {}): Promise<{ compacted: number; linked: number }> {
    const batchSize = checkedBatchSize(params.batchSize);
    return this.#primaryWrite(async ({ repository, queue }) => {
      await queue?.flush();
      return repository.compact(batchSize, (owner) => this.#rows("read", owner), params.onProgress);
    });
  }

  /**
   * Waits until every write started so far has settled. Writes are committed before
   * `storeResponseObject` resolves, so this only matters for callers that did not await.
   */
  async flush(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
    await this.#connected?.queue?.flush();
  }

  /**
   * What the write queue holds and has done: depth, in-flight batches, batch sizes, retries,
   * write latency. `undefined` when writes go straight to the database (SQLite by default).
   *
   * @example
   * ```ts
   * const { depth, retries, meanLatencyMs } = store.stats() ?? {};
   * ```
   */
  stats(): (WriteQueueStats & { replicas?: ReplicaStats }) | undefined {
    const connected = this.#connected;
    const queue = connected?.queue?.stats();
    const replicas = connected?.replicas?.router.stats(redactUrl);
    if (!replicas) return queue;
    return { ...(queue ?? idleQueueStats()), replicas };
  }

  /**
   * Stops accepting calls, waits for the ones in progress, and closes the database connections.
   * Idempotent. Later calls fail with StoreClosedError.
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#known.clear();
    const ready = this.#ready;
    const connection = ready ? await ready.catch(() => undefined) : undefined;
    await connection?.queue?.close(); // drains every queued write
    await this.flush();
    connection?.replicas?.router.stop();
    await Promise.all([...(connection?.replicas?.repositories.keys() ?? [])].map((db) => db.dispose().catch(() => {})));
    await connection?.db.dispose();
  }

  /** `await using store = await createResponsesStore()` calls shutdown() at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #connection() {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    this.#ready ??= this.#open();
    return this.#ready;
  }

  async #open() {
    const { provider, url, pool, logger, schema, migrationUrl } = this.#options;
    try {
      if (this.#options.migrate) {
        const { applied } = await migrate(provider, migrationUrl, { schema });
        if (applied.length) logger.info(`openai-responses-store: applied ${applied.join(", ")} on ${redactUrl(migrationUrl)}`);
      }
      const db = this.#options.prisma
        ? prismaDb(this.#options.prisma)
        : this.#options.adapter
          ? adapterDb((await this.#options.adapter.connect()) as SqlDriverAdapter)
          : await openDriverDb(provider, url, pool, (error) => logger.warn(`openai-responses-store: a pooled database connection failed: ${error.message}`), (message) => logger.warn(message));
      const dialect = dialectFor(provider);
      const table = (name: string) => (schema && dialect.schema ? dialect.schema.qualify(schema, name) : name);
      const digests = await digestMode(db, dialect);
      const repository = new ResponsesRepository(db, dialect, table("openai_responses"), digests, this.#known);
      const conversations = new ConversationsRepository(db, dialect, table("conversation_messages"));
      const replicas = this.#options.replicas.length ? await this.#openReplicas(db, table, digests) : undefined;
      const queue =
        this.#options.queue &&
        new WriteQueue(async (writes) => {
          try {
            return await repository.write(writes, this.#writeAccess);
          } finally {
            await replicas?.router.noteWrite(); // before any writer hears its write is done
          }
        }, this.#options.queue);
      this.#connected = { db, repository, conversations, queue, replicas };
      return this.#connected;
    } catch (error) {
      this.#ready = undefined; // a later call may try again (the database may come up)
      throw error;
    }
  }

  /** Connects the read replicas and starts sampling their replay positions. */
  async #openReplicas(primary: Db, table: (name: string) => string, digests: DigestMode): Promise<Connection["replicas"]> {
    const { pool, logger, provider, maxReplicaLagMs } = this.#options;
    const dialect = dialectFor(provider);
    const repositories = new Map<Db, Repositories>();
    const opened: { url: string; db: Db }[] = [];
    for (const url of this.#options.replicas) {
      const db = await openDriverDb(provider, url, { ...pool, timeoutMs: REPLICA_TIMEOUT_MS }, () => {}, (message) => logger.warn(message));
      // Remembered turns answer reads there too, under the same digest check against the replica's row.
      repositories.set(db, { repository: new ResponsesRepository(db, dialect, table("openai_responses"), digests, this.#known), conversations: new ConversationsRepository(db, dialect, table("conversation_messages")) });
      opened.push({ url: redactUrl(url), db });
    }
    const router = new ReplicaRouter(primary, opened, { maxLagMs: maxReplicaLagMs, probeIntervalMs: REPLICA_PROBE_MS, warn: (m) => logger.warn(m) });
    await router.start();
    return { router, repositories };
  }

  /**
   * A read, on a replica when the router says one may answer it, else on the primary. A
   * replica that fails leaves the rotation and the primary answers; what a replica does not
   * find (`missing`, or an unknown list cursor) is asked of the primary, which another
   * instance may have just written to.
   */
  async #read<T>(connection: Connection, op: (repositories: Repositories) => Promise<T>, missing?: (value: T) => boolean): Promise<T> {
    const replicas = connection.replicas;
    if (!replicas) return op(connection);
    const { db, replica } = await replicas.router.reader();
    if (!replica) return op(connection);
    try {
      const value = await op(replicas.repositories.get(db)!);
      if (missing?.(value)) {
        replicas.router.notFoundOnReplica();
        return op(connection);
      }
      replicas.router.served();
      return value;
    } catch (error) {
      if (error instanceof StorageError) replicas.router.failed(replica, error);
      else if (isResponsesStoreError(error)) replicas.router.notFoundOnReplica();
      else throw error;
      return op(connection);
    }
  }

  /** The rows (of `type`) `user` may act on with `action`, as a condition for the repository's WHERE. */
  #rows(action: Action, user: User | null, type: ResourceType = "openai_responses"): RowCondition {
    if (user) return allowedRows(this.#options.policy, action, user, type);
    // Calls without a user (authentication off) are common and always compile the same.
    const key = `${action}:${type}`;
    let rows = this.#anonymousRows.get(key);
    if (!rows) this.#anonymousRows.set(key, (rows = allowedRows(this.#options.policy, action, null, type)));
    return rows;
  }

  async #track<T>(fn: (connection: Connection) => Promise<T>): Promise<T> {
    const connected = this.#closed ? undefined : this.#connected;
    const op = connected ? fn(connected) : this.#connection().then(fn);
    this.#inFlight.add(op);
    try {
      return await op;
    } finally {
      this.#inFlight.delete(op);
    }
  }
}

/**
 * Creates a store and initializes it (connects, applies migrations).
 *
 * @example
 * ```ts
 * const store = await createResponsesStore({ url: process.env.DATABASE_URL });
 * ```
 * @throws ConfigurationError, MigrationError, StorageError
 */
export async function createResponsesStore(options: ResponsesStoreOptions = {}): Promise<ResponsesStore> {
  const store = new ResponsesStore(options);
  await store.initialize();
  return store;
}

/** A batch size of a batched job (default 500), checked. */
function checkedBatchSize(batchSize = 500): number {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new InvalidParameterError("batchSize", "Invalid value for 'batchSize': expected an integer between 1 and 10000");
  }
  return batchSize;
}

/**
 * Validates an argument; of an array, only the items from `from` on (the ones before were
 * validated already), with issue paths still counted from the array's start.
 */
function validate(argument: keyof typeof VALIDATORS, value: unknown, from = 0): void {
  const checked = from > 0 && Array.isArray(value) ? value.slice(from) : value;
  const offset = checked === value ? 0 : from;
  const result = JSON_SAFE[argument].safeParse(checked);
  if (!result.success) {
    throw new ValidationError(
      argument,
      result.error.issues.map((i) => ({ path: i.path.map((key, n) => pathKey(n === 0 && typeof key === "number" ? key + offset : key)), message: i.message })),
    );
  }
}

/**
 * Wires `store.shutdown()` to SIGTERM and SIGINT for servers: on the first signal, queued
 * writes drain and connections close, then the process exits (code 0, or 1 if shutdown failed).
 * Returns a function that removes the handlers.
 *
 * @example
 * ```ts
 * const store = await createResponsesStore();
 * shutdownOnSignals(store);
 * ```
 */
export function shutdownOnSignals(
  store: Pick<ResponsesStore, "shutdown">,
  signals: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"],
): () => void {
  const onSignal = () => {
    store.shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of signals) process.once(signal, onSignal);
  return () => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
}
