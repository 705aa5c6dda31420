/** Conversation messages' bodies: store, get and delete a conversation's chat messages, over the runtime, with access already decided. */
import type { ReadRoute } from "../schemas/params.js";
import type { RowCondition } from "../access/where.js";
import { ownerColumns } from "../access/owner.js";
import { AccessDeniedError, ConversationIdConflictError, ConversationNotFoundError } from "../errors.js";
import { isKey } from "../schemas/common.js";
import type { ChatCompletionMessage } from "../schemas/message.js";
import type { User } from "../schemas/params.js";
import type { StoreRuntime } from "./runtime.js";

/** Conversation messages over one runtime (the write queue never carries them: nothing to settle). */
export class ConversationMessageOperations {
  readonly #runtime: StoreRuntime;

  constructor(runtime: StoreRuntime) {
    this.#runtime = runtime;
  }

  /** Stores validated messages for `user`: creates when `mayCreate`, else replaces a row in `writable`. */
  async store(
    conversationId: string,
    messages: readonly ChatCompletionMessage[],
    user: User | null,
    access: { mayCreate: boolean; writable: RowCondition },
  ): Promise<void> {
    // Captured at the call: what the caller changes afterwards is not what it asked to store.
    const row = { conversationId, messages: structuredClone([...messages]), now: Math.floor(Date.now() / 1000), ...ownerColumns(user) };
    const outcome = await this.#runtime.onPrimary("none", ({ messages }) => messages.store(row, access.writable, access.mayCreate));
    if (outcome === "refused") throw new ConversationIdConflictError(conversationId);
    if (outcome === "absent") throw new AccessDeniedError("create", conversationId, "conversation messages");
  }

  /** The messages of a visible conversation (as `M`: what the store's writes took), or null. */
  async get<M = ChatCompletionMessage>(conversationId: string, visible: RowCondition, route: ReadRoute): Promise<M[] | null> {
    if (!isKey(conversationId)) return null; // no stored id is like it, on any engine
    const found = await this.#runtime.read(
      "none",
      ({ messages }) => messages.find(conversationId, visible),
      (m) => m === undefined,
      route,
    );
    return (found as M[] | undefined) ?? null;
  }

  /** Deletes a deletable conversation's messages. */
  async delete(conversationId: string, deletable: RowCondition): Promise<{ id: string; deleted: true }> {
    if (!isKey(conversationId)) throw new ConversationNotFoundError(conversationId);
    const deleted = await this.#runtime.onPrimary("none", ({ messages }) => messages.delete(conversationId, deletable));
    if (!deleted) throw new ConversationNotFoundError(conversationId);
    return { id: conversationId, deleted: true };
  }
}
