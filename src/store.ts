/**
 * ResponsesStore, the facade: each method parses its arguments, decides access, and makes one call to the module that does the job.
 *
 * Plumbing (connect, routing, queue, close) is in store/runtime.ts and store/connect.ts; the
 * bodies are in store/responses.ts, store/conversations.ts and store/maintenance.ts. Nothing here
 * speaks SQL.
 */
import { Conversations } from "./conversations.js";
import { InvalidParameterError } from "./errors.js";
import { resolveOptions, type ResponsesStoreOptions } from "./options.js";
import { and } from "./access/where.js";
import { RememberedTurns } from "./repository/remembered-turns.js";
import { MAX_SEQUENCE_NUMBER, validate } from "./schemas/arguments.js";
import type { InputItem as ParsedItem } from "./schemas/input-item.js";
import type { ChatCompletionMessage as ParsedMessage } from "./schemas/message.js";
import {
  listResponsesParamsSchema,
  parseBatchSize,
  parseInputItemsParams,
  parseOlderThan,
  parseOwnerLimit,
  parseParams,
  parseBag,
  parseCaller,
  parseId,
  parseReadOptions,
  parseUser,
  type ListInputItemsParams,
  type ListResponsesParams,
  type ReadOptions,
} from "./schemas/params.js";
import type { ResponseObject as ParsedResponse } from "./schemas/response.js";
import type { StoreTypes } from "./shapes.js";
import { AllowedRows } from "./store/allowed.js";
import { ConversationMessageOperations } from "./store/conversation-messages.js";
import { MaintenanceOperations } from "./store/maintenance.js";
import { ResponseOperations } from "./store/responses.js";
import { ResponseEventOperations } from "./store/response-events.js";
import { StoreLifecycle } from "./store/lifecycle.js";
import { StoreRuntime } from "./store/runtime.js";
import type {
  CallOptions,
  CompactParams,
  DeleteResult,
  ImportRecord,
  ImportResult,
  ListPage,
  ListedInputItem,
  PruneParams,
  PruneResult,
  ResponseEventsOptions,
  ResponseStreamEvent,
  ReadCallOptions,
  ResponseWithInput,
  StorageStats,
  StorageStatsParams,
  StoredResponse,
  UpdateOptions,
} from "./types.js";

/** The fields of a prune's parameters that must have a type when given (the rest are checked as they are read). */
const PRUNE_FIELDS = { allOwners: "boolean", owner: "string", onProgress: "function", dryRun: "boolean" } as const;

/** The id a write call names, for its failure report (the argument may not be a response at all). */
const idOf = (response: unknown) => (response as { id?: unknown } | null)?.id;

/**
 * Keeps OpenAI Responses API objects (with their input items and chat-completion messages) in
 * SQLite, PostgreSQL or MySQL/MariaDB, with owner isolation and keyset pagination. Methods
 * initialize the store on first use; `createResponsesStore()` does it up front so that
 * configuration and migration errors surface at startup. `T` names the types it keeps
 * ({@link StoreTypes}; `OpenAIStoreTypes` for the SDK's own).
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
export class ResponsesStore<T extends StoreTypes = StoreTypes> extends StoreLifecycle {
  readonly #runtime: StoreRuntime;
  readonly #allowed: AllowedRows;
  readonly #events: ResponseEventOperations;
  readonly #responses: ResponseOperations;
  readonly #conversations: ConversationMessageOperations;
  readonly #maintenance: MaintenanceOperations;
  /** The OpenAI Conversations API: conversations and their items (`store.conversations.items`). */
  readonly conversations: Conversations<T>;

  /**
   * Checks the options; connects nothing yet.
   * @example
   * ```ts
   * const store = new ResponsesStore({ url: "postgresql://app@db/app", pool: { max: 5 } });
   * ```
   * @throws ConfigurationError (bad options), PolicyError (a malformed rule)
   */
  constructor(options: ResponsesStoreOptions = {}) {
    const resolved = resolveOptions(options);
    const remembered = new RememberedTurns(resolved.historyCacheBytes);
    const allowed = new AllowedRows(resolved.policy);
    const runtime = new StoreRuntime(resolved, remembered, allowed.writeAccess);
    super(runtime, resolved.provider);
    this.#allowed = allowed;
    this.#runtime = runtime;
    this.#responses = new ResponseOperations(this.#runtime, remembered, resolved.pageBytes);
    this.#events = new ResponseEventOperations(this.#runtime);
    this.#conversations = new ConversationMessageOperations(this.#runtime);
    this.#maintenance = new MaintenanceOperations(this.#runtime, (owner) => this.#allowed.rows("read", owner));
    this.conversations = new Conversations<T>(this.#runtime, allowed);
  }

  /**
   * An opaque token covering every write this instance has acknowledged: a read on any instance given it never answers from an older state.
   * @example
   * ```ts
   * await store.storeResponseObject(response, input);
   * const consistencyToken = await store.consistencyToken(); // hand it to the next request, wherever it lands
   * await store.getResponseObject(response.id, { consistencyToken }); // on any instance of this database
   * ```
   */
  consistencyToken(): Promise<string> {
    return this.#runtime.consistencyToken();
  }

  /**
   * Stores a response with its whole input and chat messages (an id stored again is replaced, if the caller may update it).
   * @example
   * ```ts
   * await store.storeResponseObject(turn2, [...turn1Input, ...turn1.output, question], [...history, answer, questionMessage], { user });
   * ```
   * @throws ValidationError (nothing written), AccessDeniedError, ResponseIdConflictError, StorageError
   */
  storeResponseObject(
    response: T["response"],
    input: readonly T["inputItem"][],
    messages: readonly T["message"][] = [],
    options: CallOptions = {},
  ): Promise<void> {
    return this.#runtime.reporting("storeResponseObject", idOf(response), async () => {
      const user = parseCaller(options);
      validate("response", response);
      const [parsed, items, chat] = [response as ParsedResponse, input as readonly ParsedItem[], messages as readonly ParsedMessage[]];
      const conversation = () => this.#allowed.writable(user, "conversations"); // only for a turn on a conversation
      await this.#responses.store(parsed, items, chat, user, this.#allowed.mayCreate(response.id, user), conversation);
    });
  }

  /**
   * Stores a response that continues its `previous_response_id` from the items it adds, as a Responses API request carries them: its whole input is the previous response's whole input and output followed by `input`, its chat messages the previous response's followed by `messages`. Reads return the whole lists, as after storeResponseObject. On the instance that stored the previous turn it costs what the new items cost, however long the conversation; elsewhere it reads the previous turn's row (not its history) first.
   * @example
   * ```ts
   * await store.storeTurn({ ...turn2, previous_response_id: turn1.id }, [question], [answer, questionMessage], { user });
   * ```
   * @throws InvalidParameterError (no previous_response_id), ResponseNotFoundError (the previous response is absent or not the caller's to read), ValidationError (nothing written), AccessDeniedError, ResponseIdConflictError, StorageError
   */
  storeTurn(
    response: T["response"],
    input: readonly T["inputItem"][],
    messages: readonly T["message"][] = [],
    options: CallOptions = {},
  ): Promise<void> {
    return this.#runtime.reporting("storeTurn", idOf(response), async () => {
      const user = parseCaller(options);
      validate("response", response);
      const [parsed, items, chat] = [response as ParsedResponse, input as readonly ParsedItem[], messages as readonly ParsedMessage[]];
      const conversation = () => this.#allowed.writable(user, "conversations");
      const readable = this.#allowed.rows("read", user);
      await this.#responses.storeTurn(parsed, items, chat, user, this.#allowed.mayCreate(response.id, user), readable, conversation);
    });
  }

  /**
   * Replaces a stored response as its status moves on (its input too, when given; never its messages or owner).
   * @example
   * ```ts
   * await store.updateResponseObject({ ...response, status: "completed", output }, { user });
   * ```
   * @throws ValidationError (nothing written), ResponseNotFoundError, AccessDeniedError, StorageError
   */
  updateResponseObject(response: T["response"], options: UpdateOptions<T> = {}): Promise<void> {
    return this.#runtime.reporting("updateResponseObject", idOf(response), async () => {
      const { user, input } = parseBag(options);
      const writer = parseUser(user);
      validate("response", response);
      if (input !== undefined) validate("input", input);
      const conversation = () => this.#allowed.writable(writer, "conversations"); // only for a turn on a conversation
      await this.#responses.update(response as ParsedResponse, input, writer, conversation);
    });
  }

  /**
   * Cancels a background response (`background: true`) that has not ended, as `POST /v1/responses/{id}/cancel` does; cancelling a cancelled one answers it again.
   * @example
   * ```ts
   * const { status } = await store.cancelResponse("resp_123", { user }); // "cancelled"
   * ```
   * @throws ResponseStateConflictError (not a background response, or already completed, failed or incomplete), ResponseNotFoundError, AccessDeniedError
   */
  cancelResponse(responseId: string, options: CallOptions = {}): Promise<T["response"]> {
    const id = parseId("responseId", responseId);
    const user = parseCaller(options);
    return this.#responses.cancel(id, user, this.#allowed.rows("read", user));
  }

  /**
   * Appends a response's streaming events, in order, as a server produces them (each with its `sequence_number`): they must continue the stored ones by one (the first may start anywhere); a gap or a repeat is a ValidationError and nothing is stored. Returns the last sequence number stored.
   * @example
   * ```ts
   * await store.appendResponseEvents("resp_123", [{ type: "response.created", sequence_number: 0, response }], { user });
   * ```
   * @throws ValidationError (a gap, a repeat, not an event, more than 1000 in a call or 100,000 for the response), ResponseNotFoundError, AccessDeniedError
   */
  async appendResponseEvents(responseId: string, events: readonly ResponseStreamEvent[], options: CallOptions = {}): Promise<number> {
    const id = parseId("responseId", responseId);
    const user = parseCaller(options);
    return this.#events.append(id, events, this.#allowed.rows("read", user), this.#allowed.rows("update", user));
  }

  /**
   * A response's stored events after `startingAfter`, then (with `follow`, the default) new ones as another instance appends them, until the terminal event (`response.completed`, `response.failed`, `response.incomplete`, `error`), a final status, `signal`, `idleTimeoutMs` without an event, or shutdown.
   * @example
   * ```ts
   * for await (const event of await store.responseEvents("resp_123", { user, startingAfter: 41 })) console.log(event.type);
   * ```
   * @throws ResponseNotFoundError (before it resolves: absent, or not visible to the caller), InvalidParameterError (a bad `startingAfter`; or, without one, a response that ended with no event stored)
   */
  async responseEvents(responseId: string, options: ResponseEventsOptions = {}): Promise<AsyncIterableIterator<ResponseStreamEvent>> {
    const id = parseId("responseId", responseId);
    const bag = parseBag(options, { follow: "boolean", startingAfter: "number", idleTimeoutMs: "number", signal: "object" }, "options");
    const user = parseUser(bag.user);
    const startingAfter = bag.startingAfter ?? undefined;
    // Sequence numbers are 32-bit in every engine's column: a larger cursor is refused here, not by the database.
    if (startingAfter !== undefined && (!Number.isInteger(startingAfter) || startingAfter < -1 || startingAfter > MAX_SEQUENCE_NUMBER))
      throw new InvalidParameterError("starting_after", "starting_after must be an integer sequence number");
    const idleMs = bag.idleTimeoutMs ?? 300_000;
    if (!Number.isInteger(idleMs) || idleMs < 1)
      throw new InvalidParameterError("idleTimeoutMs", "idleTimeoutMs must be a positive integer");
    const signal = bag.signal ?? undefined;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw new InvalidParameterError("signal", "signal must be an AbortSignal");
    return this.#events.open(id, this.#allowed.rows("read", user), { startingAfter, follow: bag.follow ?? true, idleMs, signal });
  }

  /**
   * The stored response with its whole `input` and the `messages` of its last turn.
   * @example
   * ```ts
   * const { input, messages } = await store.getResponseObject("resp_123", { user });
   * ```
   * @throws ResponseNotFoundError (absent, or not visible to the caller)
   */
  async getResponseObject(responseId: string, options: ReadCallOptions = {}): Promise<StoredResponse<T>> {
    const visible = this.#allowed.rows("read", parseCaller(options));
    return this.#responses.get<StoredResponse<T>>(parseId("responseId", responseId), visible, parseReadOptions(options ?? {}));
  }

  /**
   * A page of the responses the caller may see, newest first by default (`includeInput: false`: without input).
   * @example
   * ```ts
   * const page = await store.listResponses({ user, limit: 20, includeInput: false });
   * ```
   * @throws InvalidParameterError (a bad limit or order; an `after` id the caller cannot see)
   */
  listResponses(params: ListResponsesParams & { includeInput: false }): Promise<ListPage<T["response"]>>;
  listResponses(params?: ListResponsesParams): Promise<ListPage<ResponseWithInput<T>>>;
  async listResponses(params: ListResponsesParams = {}): Promise<ListPage<ResponseWithInput<T> | T["response"]>> {
    const bag = parseBag(params, {}, "params");
    const user = parseUser(bag.user);
    const query = parseParams(listResponsesParamsSchema, { ...bag, user: undefined });
    return this.#responses.list<ResponseWithInput<T> | T["response"]>(query, this.#allowed.rows("read", user), parseReadOptions(bag));
  }

  /**
   * Deletes a stored response, as the Responses API answers it.
   * @example
   * ```ts
   * await store.deleteResponseObject("resp_123", { user }); // { id: "resp_123", object: "response", deleted: true }
   * ```
   * @throws ResponseNotFoundError (absent, or not visible to the caller)
   */
  async deleteResponseObject(responseId: string, options: CallOptions = {}): Promise<DeleteResult> {
    return this.#responses.delete(parseId("responseId", responseId), this.#allowed.deletable(parseCaller(options)));
  }

  /**
   * A page of a response's input items, newest first by default; gated fields are null unless in `include`.
   * @example
   * ```ts
   * const { data, has_more, last_id } = await store.listResponseInputItems("resp_123", { user, limit: 20, order: "asc" });
   * ```
   * @throws InvalidParameterError, ResponseNotFoundError, InputItemNotFoundError (a cursor names no item)
   */
  async listResponseInputItems(responseId: string, params: ListInputItemsParams = {}): Promise<ListPage<ListedInputItem<T>>> {
    const [id, slice, user] = [parseId("responseId", responseId), parseInputItemsParams(params), parseUser(params?.user)];
    return this.#responses.inputItems<ListedInputItem<T>>(id, slice, this.#allowed.rows("read", user), parseReadOptions(params ?? {}));
  }

  /**
   * Retention: deletes, in batches, responses created before `olderThan` that `user` may delete (or `allOwners`, `owner`).
   * @example
   * ```ts
   * const { deleted } = await store.pruneResponses({ olderThan: new Date(Date.now() - 30 * 86_400_000), allOwners: true });
   * ```
   * @throws InvalidParameterError (a bad `olderThan` or `batchSize`)
   */
  async pruneResponses(params: PruneParams): Promise<PruneResult> {
    const p = parseBag(params, PRUNE_FIELDS, "params");
    const [user, cutoff, batchSize] = [parseUser(p.user), parseOlderThan(p.olderThan), parseBatchSize(p.batchSize ?? undefined)];
    const prunable = this.#allowed.prunable(p, user, "openai_responses");
    if (p.dryRun) return this.#maintenance.countPrunableResponses(cutoff, prunable);
    return this.#maintenance.pruneResponses(cutoff, prunable, batchSize, p.onProgress ?? undefined);
  }

  /**
   * Stores a conversation's chat messages, replacing those stored before (the owner is the first writer's).
   * @example
   * ```ts
   * await store.storeConversationMessages("conv_123", [{ role: "user", content: "Hi" }], { user });
   * ```
   * @throws ValidationError (nothing written), ConversationIdConflictError, AccessDeniedError
   */
  async storeConversationMessages(conversationId: string, messages: readonly T["message"][], options: CallOptions = {}): Promise<void> {
    const user = parseCaller(options);
    validate("conversation_id", conversationId);
    validate("messages", messages);
    await this.#conversations.store(
      conversationId,
      messages as readonly ParsedMessage[],
      user,
      this.#allowed.conversationWrite(conversationId, user),
    );
  }

  /**
   * A conversation's stored chat messages, or `null` when there are none the caller may see.
   * @example
   * ```ts
   * const messages = (await store.getConversationMessages("conv_123", { user })) ?? [];
   * ```
   */
  async getConversationMessages(conversationId: string, options: ReadCallOptions = {}): Promise<T["message"][] | null> {
    return this.#conversations.get<T["message"]>(
      parseId("conversationId", conversationId),
      this.#allowed.rows("read", parseCaller(options), "conversation_messages"),
      parseReadOptions(options ?? {}),
    );
  }

  /**
   * Deletes the messages stored for a conversation.
   * @example
   * ```ts
   * await store.deleteConversationMessages("conv_123", { user }); // { id: "conv_123", deleted: true }
   * ```
   * @throws ConversationNotFoundError when there are none, or the caller may not see or delete them.
   */
  async deleteConversationMessages(conversationId: string, options: CallOptions = {}): Promise<{ id: string; deleted: true }> {
    return this.#conversations.delete(
      parseId("conversationId", conversationId),
      this.#allowed.deletable(parseCaller(options), "conversation_messages"),
    );
  }

  /**
   * Retention for conversation messages last stored before `olderThan`, owner-aware like `pruneResponses`.
   * @example
   * ```ts
   * await store.pruneConversationMessages({ olderThan: new Date(Date.now() - 30 * 86_400_000), allOwners: true });
   * ```
   * @throws InvalidParameterError (a bad `olderThan` or `batchSize`)
   */
  async pruneConversationMessages(params: PruneParams): Promise<PruneResult> {
    const p = parseBag(params, PRUNE_FIELDS, "params");
    const [user, cutoff, batchSize] = [parseUser(p.user), parseOlderThan(p.olderThan), parseBatchSize(p.batchSize ?? undefined)];
    const prunable = this.#allowed.prunable(p, user, "conversation_messages");
    if (p.dryRun) return this.#maintenance.countPrunableConversationMessages(cutoff, prunable);
    return this.#maintenance.pruneConversationMessages(cutoff, prunable, batchSize, p.onProgress ?? undefined);
  }

  /**
   * Rows, bytes returned and bytes stored, per model, of what `user` may read (or of all: `allOwners`).
   * @example
   * ```ts
   * const { rows, bytes, storedBytes, byModel } = await store.storageStats({ allOwners: true });
   * ```
   */
  async storageStats(params: StorageStatsParams = {}): Promise<StorageStats> {
    const bag = parseBag(params, { allOwners: "boolean" }, "params");
    const visible = bag.allOwners ? and() : this.#allowed.rows("read", parseUser(bag.user));
    return this.#maintenance.storageStats(visible, parseReadOptions(bag));
  }

  /**
   * The owners with most rows first (`""`: no user), whatever the policy: for admin tools only.
   * @example
   * ```ts
   * const [top] = await store.ownerCounts({ limit: 1 }); // { owner: "alice", rows: 5 }
   * ```
   * @throws InvalidParameterError for a bad limit.
   */
  async ownerCounts(params: { limit?: number } & ReadOptions = {}): Promise<{ owner: string; rows: number }[]> {
    const bag = parseBag(params, {}, "params");
    return this.#maintenance.ownerCounts(parseOwnerLimit(bag.limit), parseReadOptions(bag));
  }

  /**
   * Copies stored responses in with their owners, skipping ids that exist and reporting invalid records.
   * @example
   * ```ts
   * const { inserted, skipped, invalid } = await store.importResponses([{ response, input: [], owner: null }]);
   * ```
   * @throws StorageError when the database fails.
   */
  async importResponses(records: readonly ImportRecord[]): Promise<ImportResult> {
    if (!Array.isArray(records))
      throw new InvalidParameterError("records", "Invalid value for 'records': expected an array of import records");
    return this.#maintenance.importResponses(records);
  }

  /**
   * Rewrites into linear storage, in resumable batches, the responses stored whole that no run examined yet.
   * @example
   * ```ts
   * const { compacted, linked } = await store.compactResponses({ batchSize: 200, onProgress: (done, total) => console.log(done, total) });
   * ```
   * @throws InvalidParameterError for a bad batch size.
   */
  async compactResponses(params: CompactParams = {}): Promise<{ compacted: number; linked: number }> {
    const { batchSize, onProgress } = parseBag(params, { onProgress: "function" }, "params");
    return this.#maintenance.compactResponses(parseBatchSize(batchSize), onProgress);
  }
}

/**
 * Creates a store and initializes it (connects, applies migrations); `T` names the types it keeps ({@link StoreTypes}).
 *
 * @example
 * ```ts
 * const store = await createResponsesStore({ url: process.env.DATABASE_URL });
 * ```
 * @throws ConfigurationError, MigrationError, StorageError
 */
export async function createResponsesStore<T extends StoreTypes = StoreTypes>(
  options: ResponsesStoreOptions = {},
): Promise<ResponsesStore<T>> {
  const store = new ResponsesStore<T>(options);
  await store.initialize();
  return store;
}
