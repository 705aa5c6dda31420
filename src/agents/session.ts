/**
 * ResponsesStoreSession: the Agents SDK's `Session` on the store's conversation tables.
 *
 * A session is a conversation of the store's Conversations API, whose items are the agent's
 * history exactly as the SDK hands them over (its own item shapes, stored once each, nothing
 * added), so `getItems()` returns what `addItems()` was given, and the history is visible through
 * `store.conversations.items` and the HTTP routes. Appends take positions under the
 * conversation's row lock; history transactions are applied and recorded in one database
 * transaction, so a retried operation id applies nothing.
 */
import type { AgentInputItem, SessionHistoryTransactionArgs, SessionHistoryTransactionAwareSession } from "@openai/agents-core";
import { sessionBackend } from "../conversations.js";
import { ConversationNotFoundError, InvalidParameterError, isResponsesStoreError } from "../errors.js";
import { validate } from "../schemas/arguments.js";
import { parseUser, type User } from "../schemas/params.js";
import type { ResponsesStore } from "../store.js";

/**
 * Options of {@link ResponsesStoreSession}.
 *
 * @example
 * ```ts
 * const options: ResponsesStoreSessionOptions = { store, sessionId: "conv_123", user: { principal: "alice" } };
 * const session = new ResponsesStoreSession(options);
 * ```
 */
export interface ResponsesStoreSessionOptions {
  /** The store whose conversations keep the history. */
  store: ResponsesStore;
  /** The conversation to use; absent: a new one is created on first use (see `getSessionId()`). */
  sessionId?: string;
  /** The user the history belongs to (the conversation's owner); absent: no user. */
  user?: User | null;
}

/**
 * Items as the SDK hands them over, checked: objects of JSON the databases store exactly (the
 * SDK's shapes are its own). A call's items go in one transaction, however many there are.
 */
function checked(items: unknown): AgentInputItem[] {
  validate("items", items);
  return items as AgentInputItem[];
}

/**
 * A persistent session of the OpenAI Agents SDK on this store: pass it to `run(agent, input, { session })`.
 * It implements the SDK's `Session` and its history-transaction interface.
 *
 * @example
 * ```ts
 * import { Agent, run } from "@openai/agents";
 * const session = new ResponsesStoreSession({ store, user: { principal: "alice" } });
 * await run(new Agent({ name: "Assistant" }), "Hello", { session });
 * const again = new ResponsesStoreSession({ store, sessionId: await session.getSessionId(), user: { principal: "alice" } });
 * console.log(await again.getItems(20));
 * ```
 */
export class ResponsesStoreSession implements SessionHistoryTransactionAwareSession {
  readonly #store: ResponsesStore;
  readonly #user: User | null;
  #sessionId: string | undefined;
  #ensured: Promise<string> | undefined;

  /** Checks the options; touches the database on first use. */
  constructor(options: ResponsesStoreSessionOptions) {
    if (typeof options !== "object" || options === null)
      throw new InvalidParameterError("options", "Invalid value for 'options': expected { store }");
    sessionBackend(options.store?.conversations); // throws on anything but a store
    if (options.sessionId !== undefined && typeof options.sessionId !== "string") {
      throw new InvalidParameterError("sessionId", "Invalid value for 'sessionId': expected a string");
    }
    this.#store = options.store;
    this.#user = parseUser(options.user);
    this.#sessionId = options.sessionId;
  }

  /**
   * The conversation's id: the one given, created on first use when it does not exist yet (owned by the session's user), or a new one.
   * @example
   * ```ts
   * const id = await session.getSessionId(); // conv_...
   * ```
   */
  getSessionId(): Promise<string> {
    this.#ensured ??= this.#ensure().catch((error: unknown) => {
      this.#ensured = undefined; // a failed start (database down) is tried again by the next call
      throw error;
    });
    return this.#ensured;
  }

  async #ensure(): Promise<string> {
    const conversations = this.#store.conversations;
    if (this.#sessionId === undefined) {
      this.#sessionId = (await conversations.create({ user: this.#user })).id;
      return this.#sessionId;
    }
    try {
      await conversations.retrieve(this.#sessionId, { user: this.#user });
    } catch (error) {
      if (!(error instanceof ConversationNotFoundError)) throw error;
      try {
        await conversations.create({ id: this.#sessionId, user: this.#user });
      } catch (created) {
        // Created meanwhile by another instance of this session: it is there now.
        if (!isResponsesStoreError(created, "CONVERSATION_ID_CONFLICT")) throw created;
        await conversations.retrieve(this.#sessionId, { user: this.#user });
      }
    }
    return this.#sessionId;
  }

  /**
   * The newest `limit` items in the order they were added (every item without a limit).
   * @example
   * ```ts
   * const recent = await session.getItems(20);
   * ```
   */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new InvalidParameterError("limit", "Invalid value for 'limit': expected a non-negative integer");
    }
    if (limit === 0) return [];
    const id = await this.getSessionId();
    const { session, allowed } = sessionBackend(this.#store.conversations);
    return (await session.items(id, allowed.rows("read", this.#user, "conversations"), limit)) as AgentInputItem[];
  }

  /**
   * Appends items, in one transaction, after every item added before.
   * @example
   * ```ts
   * await session.addItems([{ role: "user", content: "Hi" }]);
   * ```
   */
  async addItems(items: AgentInputItem[]): Promise<void> {
    const given = checked(items);
    if (!given.length) return;
    await this.#write((backend, id, writable) => backend.append(id, given, writable));
  }

  /**
   * Removes and returns the newest item (undefined when the history is empty).
   * @example
   * ```ts
   * const last = await session.popItem();
   * ```
   */
  async popItem(): Promise<AgentInputItem | undefined> {
    return (await this.#write((backend, id, writable) => backend.pop(id, writable))) as AgentInputItem | undefined;
  }

  /**
   * Removes every item (and the record of applied history transactions); the session keeps its id.
   * @example
   * ```ts
   * await session.clearSession();
   * ```
   */
  async clearSession(): Promise<void> {
    await this.#write((backend, id, writable) => backend.clear(id, writable));
  }

  /**
   * Applies a history transaction (`append_items`, or `replace_suffix` of the newest items) atomically, once per `operationId`.
   * @example
   * ```ts
   * await session.applyHistoryTransaction({ operationId: "turn-7", transaction: { type: "append_items", items } });
   * ```
   * @throws ConversationHistoryConflictError (the id applied with another transaction, or a suffix that no longer matches; history unchanged)
   */
  async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
    const operationId: unknown = (args as { operationId?: unknown } | null)?.operationId;
    const transaction = (args as { transaction?: unknown } | null)?.transaction as SessionHistoryTransactionArgs["transaction"] | undefined;
    if (typeof operationId !== "string" || !operationId.trim() || operationId.length > 191) {
      throw new InvalidParameterError(
        "operationId",
        "Invalid value for 'operationId': expected a non-empty string of at most 191 characters",
      );
    }
    if (typeof transaction !== "object" || transaction === null) {
      throw new InvalidParameterError("transaction", "Invalid value for 'transaction': expected an object");
    }
    const operation = { id: operationId, transaction };
    if (transaction.type === "append_items") {
      const items = checked(transaction.items);
      await this.#write((backend, id, writable) => backend.append(id, items, writable, operation));
    } else if (transaction.type === "replace_suffix") {
      const expected = checked(transaction.expectedSuffix);
      const replacement = checked(transaction.replacement);
      await this.#write((backend, id, writable) => backend.replaceSuffix(id, expected, replacement, writable, operation));
    } else {
      throw new InvalidParameterError("transaction", "Invalid value for 'transaction': type must be 'append_items' or 'replace_suffix'");
    }
  }

  /** A write on the session's conversation, by its user. */
  async #write<R>(
    op: (
      backend: ReturnType<typeof sessionBackend>["session"],
      id: string,
      writable: ReturnType<ReturnType<typeof sessionBackend>["allowed"]["rows"]>,
    ) => Promise<R>,
  ): Promise<R> {
    const id = await this.getSessionId();
    const { session, allowed } = sessionBackend(this.#store.conversations);
    return op(session, id, allowed.writable(this.#user, "conversations"));
  }
}
