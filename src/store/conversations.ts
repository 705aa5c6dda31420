/** The Conversations API's bodies: conversations and their items over the runtime, with access already decided. */
import { createHash, randomBytes } from "node:crypto";
import { ownerColumns } from "../access/owner.js";
import type { RowCondition } from "../access/where.js";
import {
  ConversationHistoryConflictError,
  ConversationIdConflictError,
  ConversationItemNotFoundError,
  ConversationNotFoundError,
} from "../errors.js";
import type { ConversationRecord } from "../repository/conversations-repository.js";
import type { NewItem } from "../repository/conversation-tables.js";
import { withoutGatedFields } from "../repository/input-items.js";
import type { ListPage } from "../repository/keyset.js";
import { isKey } from "../schemas/common.js";
import { INCLUDE_VALUES, type IncludeValue, type ReadRoute, type User } from "../schemas/params.js";
import type { StoreRuntime } from "./runtime.js";

/**
 * A conversation as the API answers it (the SDK's `Conversation`).
 *
 * @example
 * ```ts
 * const conversation: ConversationObject = await store.conversations.retrieve("conv_1", { user });
 * console.log(conversation.metadata?.topic);
 * ```
 */
export interface ConversationObject {
  id: string;
  object: "conversation";
  created_at: number;
  metadata: Record<string, string> | null;
}

/** A page's slice, checked. */
export interface ItemSlice {
  after: string | undefined;
  limit: number;
  order: "asc" | "desc";
  include: readonly IncludeValue[];
}

type Item = Record<string, unknown>;

/** A new id as the hosted API makes them: a prefix and 48 hex digits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString("hex")}`;
}

/** The conversation as the API shows it. */
function shown(c: ConversationRecord): ConversationObject {
  return { id: c.id, object: "conversation", created_at: c.createdAt, metadata: c.metadata };
}

/**
 * A message as the hosted API keeps it: `type: "message"`, and text content as a list of parts
 * (`input_text`, or `output_text` for the assistant), which readers such as the Agents SDK's
 * conversation session expect. Other items are kept as given.
 */
function normalized(item: Item): Item {
  const message = item.type === "message" || (item.type == null && "role" in item);
  if (!message) return item;
  const content =
    typeof item.content === "string"
      ? [
          item.role === "assistant"
            ? { type: "output_text", text: item.content, annotations: [] }
            : { type: "input_text", text: item.content },
        ]
      : item.content;
  return { type: "message", ...item, content };
}

/**
 * Items as added: copies taken at the call, messages normalized as the hosted API keeps them,
 * each with its id (one is assigned to an item that has none, as the hosted API does: `msg_` for
 * messages, `item_` otherwise), and its JSON.
 */
function added(items: readonly unknown[]): { shown: Item[]; rows: NewItem[] } {
  const shown = (structuredClone([...items]) as Item[]).map((given) => {
    const item = normalized(given);
    if (typeof item.id === "string" && item.id !== "") return item;
    return { ...item, id: newId(item.type === "message" ? "msg" : "item") };
  });
  return { shown, rows: shown.map((item) => ({ itemId: item.id as string, json: JSON.stringify(item) })) };
}

/** Items as the Conversations API adds them (normalized, each with an id), for a response's turn. */
export function turnItems(items: readonly unknown[]): NewItem[] {
  return added(items).rows;
}

/** A page of `items` (already in order), every item with its gated fields hidden unless included. */
function itemPage(items: readonly unknown[], hasMore: boolean, include: readonly IncludeValue[]): ListPage<Item> {
  const data = (items as Item[]).map((item) => withoutGatedFields(item, include) as Item);
  const idOf = (item: Item | undefined) => (typeof item?.id === "string" ? item.id : null);
  return { object: "list", data, first_id: idOf(data[0]), last_id: idOf(data.at(-1)), has_more: hasMore };
}

/** A session's items as stored: exactly as given (no id is added), each under its own id or a new one. */
function asGiven(items: readonly unknown[]): NewItem[] {
  return (structuredClone([...items]) as Item[]).map((item) => ({
    itemId: typeof item.id === "string" && isKey(item.id) ? item.id : newId("item"),
    json: JSON.stringify(item),
  }));
}

/** SHA-256 of a JSON value with its keys sorted: the same for the same value, however its keys were ordered. */
function digestOf(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Item)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(value)))
    .digest("hex");
}

/** The history changes of an Agents SDK session, over one runtime: items stored exactly as the session gives them. */
export class SessionOperations {
  readonly #runtime: StoreRuntime;

  constructor(runtime: StoreRuntime) {
    this.#runtime = runtime;
  }

  /** Appends items, atomically with `operation` when given (a repeat applies nothing). */
  async append(
    id: string,
    items: readonly unknown[],
    writable: RowCondition,
    operation?: { id: string; transaction: unknown },
  ): Promise<void> {
    const rows = asGiven(items);
    const op = operation && { id: operation.id, digest: digestOf(operation.transaction) };
    const now = Math.floor(Date.now() / 1000);
    const outcome = await this.#runtime.onPrimary("none", ({ conversations }) => conversations.history.append(id, rows, writable, now, op));
    if (outcome === "no-conversation") throw new ConversationNotFoundError(id);
    if (outcome === "conflict") throw new ConversationHistoryConflictError(id, "operation");
  }

  /** Replaces the newest items when they equal `expected`, atomically with `operation`. */
  async replaceSuffix(
    id: string,
    expected: readonly unknown[],
    replacement: readonly unknown[],
    writable: RowCondition,
    operation: { id: string; transaction: unknown },
  ): Promise<void> {
    const rows = asGiven(replacement);
    const op = { id: operation.id, digest: digestOf(operation.transaction) };
    const wanted = JSON.parse(JSON.stringify(expected)) as unknown[];
    const now = Math.floor(Date.now() / 1000);
    const outcome = await this.#runtime.onPrimary("none", ({ conversations }) =>
      conversations.history.replaceSuffix(id, wanted, rows, writable, now, op),
    );
    if (outcome === "no-conversation") throw new ConversationNotFoundError(id);
    if (outcome === "conflict") throw new ConversationHistoryConflictError(id, "operation");
    if (outcome === "mismatch") throw new ConversationHistoryConflictError(id, "suffix");
  }

  /** Removes and returns the newest item (undefined when there is none). */
  async pop(id: string, writable: RowCondition): Promise<unknown> {
    const popped = await this.#runtime.onPrimary("none", ({ conversations }) => conversations.history.pop(id, writable));
    if (popped === "no-conversation") throw new ConversationNotFoundError(id);
    return popped;
  }

  /** Removes every item and recorded operation. */
  async clear(id: string, writable: RowCondition): Promise<void> {
    if (!(await this.#runtime.onPrimary("none", ({ conversations }) => conversations.history.clear(id, writable))))
      throw new ConversationNotFoundError(id);
  }

  /** The newest `limit` items, oldest first; every item without a limit. */
  async items(id: string, visible: RowCondition, limit: number | undefined): Promise<unknown[]> {
    if (limit !== undefined) {
      const page = await this.#runtime.read("none", ({ conversations }) =>
        conversations.page(id, visible, { after: undefined, limit, order: "desc" }),
      );
      if (page === "no-conversation" || page === "no-cursor") throw new ConversationNotFoundError(id);
      return page.items.reverse();
    }
    const all = await this.#runtime.read("none", ({ conversations }) => conversations.all(id, visible));
    if (!all) throw new ConversationNotFoundError(id);
    return all;
  }
}

/** Conversations and their items over one runtime (the write queue never carries them: nothing to settle). */
export class ConversationOperations {
  readonly #runtime: StoreRuntime;

  constructor(runtime: StoreRuntime) {
    this.#runtime = runtime;
  }

  /** Creates a conversation for `user` with validated metadata and items. */
  async create(
    id: string,
    metadata: Record<string, string> | null,
    items: readonly unknown[],
    user: User | null,
  ): Promise<ConversationObject> {
    const row = { id, createdAt: Math.floor(Date.now() / 1000), metadata: structuredClone(metadata), ...ownerColumns(user) };
    const { rows } = added(items);
    const created = await this.#runtime.onPrimary("none", ({ conversations }) => conversations.create(row, rows));
    if (!created) throw new ConversationIdConflictError(id);
    return shown(row);
  }

  /** The visible conversation `id`. */
  async retrieve(id: string, visible: RowCondition, route: ReadRoute): Promise<ConversationObject> {
    if (!isKey(id)) throw new ConversationNotFoundError(id);
    const found = await this.#runtime.read(
      "none",
      ({ conversations }) => conversations.find(id, visible),
      (c) => c === undefined,
      route,
    );
    if (!found) throw new ConversationNotFoundError(id);
    return shown(found);
  }

  /** Replaces a writable conversation's metadata. */
  async update(id: string, metadata: Record<string, string> | null, writable: RowCondition): Promise<ConversationObject> {
    if (!isKey(id)) throw new ConversationNotFoundError(id);
    const copy = structuredClone(metadata);
    const found = await this.#runtime.onPrimary("none", ({ conversations }) => conversations.updateMetadata(id, copy, writable));
    if (!found) throw new ConversationNotFoundError(id);
    return shown(found);
  }

  /** Deletes a deletable conversation with its items. */
  async delete(id: string, deletable: RowCondition): Promise<{ id: string; object: "conversation.deleted"; deleted: true }> {
    if (!isKey(id)) throw new ConversationNotFoundError(id);
    const deleted = await this.#runtime.onPrimary("none", ({ conversations }) => conversations.delete(id, deletable));
    if (!deleted) throw new ConversationNotFoundError(id);
    return { id, object: "conversation.deleted", deleted: true };
  }

  /** Adds validated items at the end of a writable conversation; the items as added (ids included). */
  async append(id: string, items: readonly unknown[], writable: RowCondition): Promise<ListPage<Item>> {
    if (!isKey(id)) throw new ConversationNotFoundError(id);
    const { shown: copies, rows } = added(items);
    const now = Math.floor(Date.now() / 1000);
    const done = await this.#runtime.onPrimary("none", ({ conversations }) => conversations.history.append(id, rows, writable, now));
    if (done === "no-conversation") throw new ConversationNotFoundError(id);
    return itemPage(copies, false, INCLUDE_VALUES); // the caller's own items, as given: nothing hidden
  }

  /** A page of a visible conversation's items. */
  async list(id: string, slice: ItemSlice, visible: RowCondition, route: ReadRoute): Promise<ListPage<Item>> {
    if (!isKey(id)) throw new ConversationNotFoundError(id);
    if (slice.after !== undefined && !isKey(slice.after)) throw new ConversationItemNotFoundError(slice.after, id);
    const page = await this.#runtime.read(
      "none",
      ({ conversations }) => conversations.page(id, visible, slice),
      (p) => p === "no-conversation",
      route,
    );
    if (page === "no-conversation") throw new ConversationNotFoundError(id);
    if (page === "no-cursor") throw new ConversationItemNotFoundError(slice.after!, id);
    return itemPage(page.items, page.hasMore, slice.include);
  }

  /** One item of a visible conversation. */
  async item(id: string, itemId: string, include: readonly IncludeValue[], visible: RowCondition, route: ReadRoute): Promise<Item> {
    if (!isKey(id)) throw new ConversationNotFoundError(id);
    if (!isKey(itemId)) throw new ConversationItemNotFoundError(itemId, id);
    const found = await this.#runtime.read(
      "none",
      ({ conversations }) => conversations.item(id, itemId, visible),
      (i) => i === "no-conversation" || i === undefined,
      route,
    );
    if (found === "no-conversation") throw new ConversationNotFoundError(id);
    if (found === undefined) throw new ConversationItemNotFoundError(itemId, id);
    return withoutGatedFields(found as Item, include);
  }

  /** Deletes one item of a writable conversation; the conversation, as the API answers. */
  async deleteItem(id: string, itemId: string, writable: RowCondition): Promise<ConversationObject> {
    if (!isKey(id)) throw new ConversationNotFoundError(id);
    if (!isKey(itemId)) throw new ConversationItemNotFoundError(itemId, id);
    const outcome = await this.#runtime.onPrimary("none", ({ conversations }) => conversations.deleteItem(id, itemId, writable));
    if (outcome === "no-conversation") throw new ConversationNotFoundError(id);
    if (outcome === "no-item") throw new ConversationItemNotFoundError(itemId, id);
    return shown(outcome);
  }

  /** Retention: deletes conversations created before `cutoff` (unix seconds) that `deletable` allows, with their items. */
  async prune(
    cutoff: number,
    deletable: RowCondition,
    batchSize: number,
    onProgress?: (deleted: number, total: number) => void,
  ): Promise<{ deleted: number }> {
    const deleted = await this.#runtime.onPrimary("none", ({ conversations }) =>
      conversations.prune(cutoff, deletable, batchSize, (k) => onProgress?.(k, k)),
    );
    return { deleted };
  }
}
