/**
 * The Conversations API as library calls (`store.conversations`, `store.conversations.items`): each parses its arguments, decides access, and makes one call.
 *
 * Named as the official SDK names them (`client.conversations.items.list(id, ...)`), so a team
 * moving from OpenAI-hosted conversations finds the same calls. The bodies are in
 * store/conversations.ts; nothing here speaks SQL.
 */
import type { AllowedRows } from "./store/allowed.js";
import { ConversationOperations, SessionOperations, newId, type ConversationObject } from "./store/conversations.js";
import type { StoreRuntime } from "./store/runtime.js";
import { AccessDeniedError, ValidationError } from "./errors.js";
import { validate } from "./schemas/arguments.js";
import { itemIdSchema, listConversationItemsSchema, MAX_ITEMS_PER_CALL, metadataSchema } from "./schemas/conversation.js";
import {
  parseBag,
  parseBatchSize,
  parseCaller,
  parseId,
  parseOlderThan,
  parseParams,
  parseReadOptions,
  parseUser,
  pathKey,
} from "./schemas/params.js";
import type { IncludeValue, ReadOptions, User } from "./schemas/params.js";
import type { StoreTypes } from "./shapes.js";
import type { CallOptions, ListPage, ListedInputItem, PruneParams, ReadCallOptions } from "./types.js";
import { z } from "zod";

export type { ConversationObject } from "./store/conversations.js";

/**
 * Options of `conversations.create`.
 *
 * @example
 * ```ts
 * const params: CreateConversationParams = { metadata: { topic: "billing" }, items: [{ role: "user", content: "Hi" }], user };
 * const conversation = await store.conversations.create(params);
 * ```
 */
export interface CreateConversationParams<T extends StoreTypes = StoreTypes> extends CallOptions {
  /** Up to 16 string pairs (keys up to 64 characters, values up to 512). */
  metadata?: Record<string, string> | null;
  /** The first items (at most 1000). */
  items?: readonly T["inputItem"][] | null;
  /** The conversation's id; absent: a new `conv_...` id. */
  id?: string | null;
}

/**
 * Options of `conversations.update`.
 *
 * @example
 * ```ts
 * await store.conversations.update("conv_1", { metadata: { topic: "refunds" }, user });
 * ```
 */
export interface UpdateConversationParams extends CallOptions {
  /** The metadata to keep from now on (null: none). */
  metadata: Record<string, string> | null;
}

/**
 * Options of `conversations.items.list`.
 *
 * @example
 * ```ts
 * const params: ConversationItemsParams = { limit: 50, order: "asc", after: "msg_1", user };
 * const page = await store.conversations.items.list("conv_1", params);
 * ```
 */
export interface ConversationItemsParams extends ReadOptions {
  /** Id of the item to list after (in the requested order). */
  after?: string | null;
  /** Gated fields to return (image URLs, logprobs, file-search results, reasoning content). */
  include?: IncludeValue[] | null;
  /** 1..100. @default 20 */
  limit?: number | null;
  /** @default "desc" (newest item first) */
  order?: "asc" | "desc" | null;
  /** The caller. */
  user?: User | null;
}

/**
 * Options of `conversations.items.retrieve`.
 *
 * @example
 * ```ts
 * await store.conversations.items.retrieve("conv_1", "msg_1", { user, include: ["message.input_image.image_url"] });
 * ```
 */
export interface ConversationItemOptions extends ReadCallOptions {
  /** Gated fields to return. */
  include?: IncludeValue[] | null;
}

/** The `include` of a single item's read, checked. */
const includeSchema = z.object({ include: listConversationItemsSchema.shape.include });

/**
 * Items, checked: an array of at most 1000 input items, each id (when given) a storable key.
 *
 * @throws ValidationError naming the item.
 */
function checkItems(items: unknown): readonly unknown[] {
  if (items === undefined || items === null) return [];
  try {
    validate("input", items);
  } catch (error) {
    // Named as the Conversations API names the argument.
    if (error instanceof ValidationError) throw new ValidationError("items", error.issues);
    throw error;
  }
  const list = items as readonly { id?: unknown }[];
  if (list.length > MAX_ITEMS_PER_CALL) {
    throw new ValidationError("items", [
      { path: [], message: `at most ${MAX_ITEMS_PER_CALL} items may be added in one call; got ${list.length}` },
    ]);
  }
  list.forEach((item, i) => {
    if (item.id === undefined || item.id === null || item.id === "") return;
    const result = itemIdSchema.safeParse(item.id);
    if (!result.success) throw new ValidationError("items", [{ path: [pathKey(i), "id"], message: result.error.issues[0]!.message }]);
  });
  return list;
}

/** Metadata, checked against the API's limits. @throws ValidationError */
function checkMetadata(metadata: unknown): Record<string, string> | null {
  const result = metadataSchema.safeParse(metadata);
  if (result.success) return result.data;
  throw new ValidationError(
    "metadata",
    result.error.issues.map((i) => ({ path: i.path.map(pathKey), message: i.message })),
  );
}

/** What an Agents SDK session (openai-responses-store/agents) uses of a store's conversations: not public API. */
interface SessionBackend {
  session: SessionOperations;
  allowed: AllowedRows;
}
const SESSION_BACKENDS = new WeakMap<object, SessionBackend>();

/** The session operations and policy behind `conversations` (the agents entry's way in). */
export function sessionBackend(conversations: object): SessionBackend {
  const backend = SESSION_BACKENDS.get(conversations);
  if (!backend) throw new TypeError("expected a ResponsesStore's conversations (store.conversations)");
  return backend;
}

/**
 * A conversation's items: add, page, read and delete them (`store.conversations.items`).
 *
 * @example
 * ```ts
 * await store.conversations.items.create("conv_1", [{ role: "user", content: "And tomorrow?" }], { user });
 * const { data, has_more } = await store.conversations.items.list("conv_1", { user, order: "asc" });
 * ```
 */
export class ConversationItems<T extends StoreTypes = StoreTypes> {
  readonly #ops: ConversationOperations;
  readonly #allowed: AllowedRows;

  /** Made by the store: `store.conversations.items`. */
  constructor(ops: ConversationOperations, allowed: AllowedRows) {
    this.#ops = ops;
    this.#allowed = allowed;
  }

  /**
   * Adds items at the end of the conversation, in one transaction, contiguous (concurrent calls never interleave with them); an item without an id gets one.
   * @example
   * ```ts
   * const { data } = await store.conversations.items.create("conv_1", [{ role: "user", content: "Hi" }], { user });
   * console.log(data[0]?.id); // msg_...
   * ```
   * @throws ValidationError (nothing added), ConversationNotFoundError
   */
  async create(conversationId: string, items: readonly T["inputItem"][], options: CallOptions = {}): Promise<ListPage<ListedInputItem<T>>> {
    const id = parseId("conversationId", conversationId);
    const user = parseCaller(options);
    if (!Array.isArray(items)) throw new ValidationError("items", [{ path: [], message: "expected an array of items" }]);
    const checked = checkItems(items);
    const page = await this.#ops.append(id, checked, this.#allowed.writable(user, "conversations"));
    return page as ListPage<ListedInputItem<T>>;
  }

  /**
   * A page of the conversation's items, newest first by default; gated fields are null unless in `include`.
   * @example
   * ```ts
   * const page = await store.conversations.items.list("conv_1", { user, limit: 50, after: "msg_9" });
   * ```
   * @throws InvalidParameterError, ConversationNotFoundError, ConversationItemNotFoundError (`after` names no item)
   */
  async list(conversationId: string, params: ConversationItemsParams = {}): Promise<ListPage<ListedInputItem<T>>> {
    const id = parseId("conversationId", conversationId);
    const bag = parseBag(params, {}, "params");
    const user = parseUser(bag.user);
    const slice = parseParams(listConversationItemsSchema, { after: bag.after, include: bag.include, limit: bag.limit, order: bag.order });
    const page = await this.#ops.list(id, slice, this.#allowed.rows("read", user, "conversations"), parseReadOptions(bag));
    return page as ListPage<ListedInputItem<T>>;
  }

  /**
   * One item of the conversation.
   * @example
   * ```ts
   * const item = await store.conversations.items.retrieve("conv_1", "msg_1", { user });
   * ```
   * @throws ConversationNotFoundError, ConversationItemNotFoundError
   */
  async retrieve(conversationId: string, itemId: string, options: ConversationItemOptions = {}): Promise<ListedInputItem<T>> {
    const [id, item] = [parseId("conversationId", conversationId), parseId("itemId", itemId)];
    const bag = parseBag(options, {}, "options");
    const { include } = parseParams(includeSchema, { include: bag.include });
    const visible = this.#allowed.rows("read", parseUser(bag.user), "conversations");
    return (await this.#ops.item(id, item, include, visible, parseReadOptions(bag))) as ListedInputItem<T>;
  }

  /**
   * Deletes one item; answers the conversation, as the API does.
   * @example
   * ```ts
   * const conversation = await store.conversations.items.delete("conv_1", "msg_1", { user });
   * ```
   * @throws ConversationNotFoundError, ConversationItemNotFoundError
   */
  async delete(conversationId: string, itemId: string, options: CallOptions = {}): Promise<ConversationObject> {
    const [id, item] = [parseId("conversationId", conversationId), parseId("itemId", itemId)];
    return this.#ops.deleteItem(id, item, this.#allowed.writable(parseCaller(options), "conversations"));
  }
}

/**
 * The OpenAI Conversations API on the store's database (`store.conversations`): conversations
 * with metadata and an owner, and their items (`.items`), each stored once at a position that is
 * never reused.
 *
 * @example
 * ```ts
 * const conversation = await store.conversations.create({ metadata: { topic: "demo" }, items: [{ role: "user", content: "Hi" }], user });
 * await store.conversations.items.create(conversation.id, [{ role: "assistant", content: "Hello!" }], { user });
 * await store.conversations.delete(conversation.id, { user });
 * ```
 */
export class Conversations<T extends StoreTypes = StoreTypes> {
  /** The conversation's items: `create`, `list`, `retrieve`, `delete`. */
  readonly items: ConversationItems<T>;
  readonly #ops: ConversationOperations;
  readonly #allowed: AllowedRows;

  /** Made by the store: `store.conversations`. */
  constructor(runtime: StoreRuntime, allowed: AllowedRows) {
    this.#ops = new ConversationOperations(runtime);
    this.#allowed = allowed;
    this.items = new ConversationItems<T>(this.#ops, allowed);
    SESSION_BACKENDS.set(this, { session: new SessionOperations(runtime), allowed });
  }

  /**
   * Creates a conversation with metadata and first items (an item without an id gets one).
   * @example
   * ```ts
   * const { id } = await store.conversations.create({ metadata: { topic: "demo" }, user });
   * ```
   * @throws ValidationError (nothing created), AccessDeniedError, ConversationIdConflictError (a given id is taken)
   */
  async create(params: CreateConversationParams<T> = {}): Promise<ConversationObject> {
    const bag = parseBag(params, {}, "params");
    const user = parseUser(bag.user);
    const id = bag.id === undefined || bag.id === null ? newId("conv") : parseId("id", bag.id);
    if (bag.id !== undefined && bag.id !== null) validate("conversation_id", id);
    const metadata = checkMetadata(bag.metadata);
    const items = checkItems(bag.items);
    if (!this.#allowed.mayCreate(id, user, "conversations")) throw new AccessDeniedError("create", id, "conversation");
    return this.#ops.create(id, metadata, items, user);
  }

  /**
   * The conversation, if the caller may see it.
   * @example
   * ```ts
   * const { metadata } = await store.conversations.retrieve("conv_1", { user });
   * ```
   * @throws ConversationNotFoundError (absent, or not visible to the caller)
   */
  async retrieve(conversationId: string, options: ReadCallOptions = {}): Promise<ConversationObject> {
    const id = parseId("conversationId", conversationId);
    const bag = parseBag(options, {}, "options");
    return this.#ops.retrieve(id, this.#allowed.rows("read", parseUser(bag.user), "conversations"), parseReadOptions(bag));
  }

  /**
   * Replaces the conversation's metadata.
   * @example
   * ```ts
   * await store.conversations.update("conv_1", { metadata: { topic: "refunds" }, user });
   * ```
   * @throws ValidationError, ConversationNotFoundError
   */
  async update(conversationId: string, params: UpdateConversationParams): Promise<ConversationObject> {
    const id = parseId("conversationId", conversationId);
    const bag = parseBag(params, {}, "params");
    const user = parseUser(bag.user);
    const metadata = checkMetadata(bag.metadata);
    return this.#ops.update(id, metadata, this.#allowed.writable(user, "conversations"));
  }

  /**
   * Deletes the conversation and its items at once (their space is released; responses keep their own input).
   * @example
   * ```ts
   * await store.conversations.delete("conv_1", { user }); // { id: "conv_1", object: "conversation.deleted", deleted: true }
   * ```
   * @throws ConversationNotFoundError
   */
  async delete(conversationId: string, options: CallOptions = {}): Promise<{ id: string; object: "conversation.deleted"; deleted: true }> {
    const id = parseId("conversationId", conversationId);
    return this.#ops.delete(id, this.#allowed.deletable(parseCaller(options), "conversations"));
  }

  /**
   * Retention: deletes, in batches, conversations created before `olderThan` with their items (the caller's, one owner's, or `allOwners`).
   * @example
   * ```ts
   * await store.conversations.prune({ olderThan: new Date(Date.now() - 30 * 86_400_000), allOwners: true });
   * ```
   * @throws InvalidParameterError (a bad `olderThan` or `batchSize`)
   */
  async prune(params: PruneParams): Promise<{ deleted: number }> {
    const p = parseBag(params, { allOwners: "boolean", owner: "string", onProgress: "function" }, "params");
    const [user, cutoff, batchSize] = [parseUser(p.user), parseOlderThan(p.olderThan), parseBatchSize(p.batchSize ?? undefined)];
    return this.#ops.prune(cutoff, this.#allowed.prunable(p, user, "conversations"), batchSize, p.onProgress ?? undefined);
  }
}
