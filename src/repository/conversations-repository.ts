/**
 * The only code that queries the `conversations` and `conversation_items` tables: the OpenAI Conversations API's state.
 *
 * A conversation row holds its metadata, owner and `next_position`; each item is one row at its
 * position. Adding items takes the positions under the conversation's row lock (a SELECT ...
 * FOR UPDATE, then the increment, then the inserts, in one transaction), so concurrent calls on
 * any number of instances never interleave within one call and never reuse a position. Every
 * read and page is an indexed lookup: a page of a 10,000-item conversation costs what one of a
 * 10-item one does. Access conditions (RowConditions) are decided by the store and applied to the
 * conversation row, whose id resource patterns name.
 */
import { isDeepStrictEqual } from "node:util";
import type { Db, Queryable } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isUniqueViolation, runStorage } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import { SqlParams, fromJson } from "./sql.js";

/** A conversation as the API shows it. */
export interface ConversationRecord {
  id: string;
  createdAt: number;
  metadata: Record<string, string> | null;
}

/** A conversation to create, with its owner columns. */
export interface NewConversation extends ConversationRecord {
  ownerPrincipal: string;
  accessAttributes: Record<string, string[]> | null;
}

/** An item to add: its id and its JSON (the id included). */
export interface NewItem {
  itemId: string;
  json: string;
}

/** A session's operation: its id, and the digest of what it does. */
export interface Operation {
  id: string;
  digest: string;
}

/** What a write on a conversation did: done, nothing (an operation recorded already), refused, or no such conversation. */
export type Outcome = "done" | "applied" | "conflict" | "no-conversation";

/** A locked conversation: its next position and owner columns. */
interface Locked {
  id: string;
  next: number;
  ownerPrincipal: string;
  accessAttributes: Record<string, string[]> | null;
}

/** A page of items, in the order asked for, and whether more follow. */
export interface ItemRows {
  items: unknown[];
  hasMore: boolean;
}

/** Rows per INSERT of items (7 values each: well within every engine's limit on parameters). */
const INSERT_CHUNK = 500;

/** Queries on the conversations tables through one connection. */
export class ConversationsRepository {
  readonly #db: Db;
  readonly #dialect: Dialect;
  readonly #conversations: string;
  readonly #items: string;
  readonly #operations: string;

  /** The tables' SQL names (schema-qualified where configured). */
  constructor(db: Db, dialect: Dialect, tables: { conversations: string; items: string; operations: string }) {
    this.#db = db;
    this.#dialect = dialect;
    this.#conversations = tables.conversations;
    this.#items = tables.items;
    this.#operations = tables.operations;
  }

  /** The same repository over `db` (a call's bounded view of the connection). */
  on(db: Db): ConversationsRepository {
    return new ConversationsRepository(db, this.#dialect, {
      conversations: this.#conversations,
      items: this.#items,
      operations: this.#operations,
    });
  }

  /** Creates a conversation with its first items, in one transaction; false when its id is taken. */
  async create(row: NewConversation, items: readonly NewItem[]): Promise<boolean> {
    return runStorage("createConversation", async () => {
      try {
        await this.#db.transaction(async (tx) => {
          const p = new SqlParams(this.#dialect);
          const values = [
            p.value(row.id),
            p.value(String(row.createdAt), "bigint"),
            p.value(row.metadata === null ? null : JSON.stringify(row.metadata), "json"),
            p.value(String(items.length), "bigint"),
            p.value(row.ownerPrincipal),
            p.value(row.accessAttributes === null ? null : JSON.stringify(row.accessAttributes), "json"),
          ];
          await tx.executeRaw(
            p.query(
              `INSERT INTO ${this.#conversations} (id, created_at, metadata, next_position, owner_principal, access_attributes) ` +
                `VALUES (${values.join(", ")})`,
            ),
          );
          await this.#insertItems(tx, row, 0, row.createdAt, items);
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    });
  }

  /** The conversation `id` if `visible` allows it. */
  async find(id: string, visible: RowCondition): Promise<ConversationRecord | undefined> {
    return runStorage("retrieveConversation", () => this.#find(this.#db, id, visible));
  }

  /** Replaces the metadata of a conversation `writable` allows; the conversation after, or undefined. */
  async updateMetadata(
    id: string,
    metadata: Record<string, string> | null,
    writable: RowCondition,
  ): Promise<ConversationRecord | undefined> {
    return runStorage("updateConversation", async () => {
      const p = new SqlParams(this.#dialect);
      const json = p.value(metadata === null ? null : JSON.stringify(metadata), "json");
      const changed = await this.#db.executeRaw(
        p.query(
          `UPDATE ${this.#conversations} SET metadata = ${json} WHERE id = ${p.value(id)} AND ${p.condition(writable, this.#conversations)}`,
        ),
      );
      // MySQL counts a row set to what it held as unchanged: read it back either way.
      const found = await this.#find(this.#db, id, writable);
      return changed > 0 || found ? found : undefined;
    });
  }

  /** Deletes a conversation `deletable` allows and all its items, in one transaction; false when there was none. */
  async delete(id: string, deletable: RowCondition): Promise<boolean> {
    return runStorage("deleteConversation", () =>
      this.#db.transaction(async (tx) => {
        const p = new SqlParams(this.#dialect);
        const deleted = await tx.executeRaw(
          p.query(`DELETE FROM ${this.#conversations} WHERE id = ${p.value(id)} AND ${p.condition(deletable, this.#conversations)}`),
        );
        if (!deleted) return false;
        for (const table of [this.#items, this.#operations]) {
          const q = new SqlParams(this.#dialect);
          await tx.executeRaw(q.query(`DELETE FROM ${table} WHERE conversation_id = ${q.value(id)}`));
        }
        return true;
      }),
    );
  }

  /**
   * Adds `items` at the end of a conversation `writable` allows, at consecutive positions taken
   * under its row lock. With `op`, the operation is recorded in the same transaction: one already
   * recorded with the same digest applies nothing ("applied"), with another digest nothing
   * ("conflict").
   */
  async append(id: string, items: readonly NewItem[], writable: RowCondition, now: number, op?: Operation): Promise<Outcome> {
    return runStorage("createConversationItems", () =>
      this.#db.transaction(async (tx) => {
        const locked = await this.#lock(tx, id, writable);
        if (!locked) return "no-conversation";
        const recorded = op ? await this.#recorded(tx, id, op) : "new";
        if (recorded !== "new") return recorded;
        await this.#take(tx, id, locked.next, items.length);
        await this.#insertItems(tx, locked, locked.next, now, items);
        if (op) await this.#record(tx, id, op, now);
        return "done";
      }),
    );
  }

  /**
   * Replaces the newest items with `replacement` when they equal `expected` (as JSON values),
   * under the conversation's row lock, with `op` recorded in the same transaction; "mismatch"
   * (nothing changed) when they differ.
   */
  async replaceSuffix(
    id: string,
    expected: readonly unknown[],
    replacement: readonly NewItem[],
    writable: RowCondition,
    now: number,
    op: Operation,
  ): Promise<Outcome | "mismatch"> {
    return runStorage("applyHistoryTransaction", () =>
      this.#db.transaction(async (tx) => {
        const locked = await this.#lock(tx, id, writable);
        if (!locked) return "no-conversation";
        const recorded = await this.#recorded(tx, id, op);
        if (recorded !== "new") return recorded;
        const newest = expected.length ? await this.#newest(tx, id, expected.length) : [];
        const actual = newest.map((r) => r.item).reverse();
        if (actual.length !== expected.length || !isDeepStrictEqual(actual, expected)) return "mismatch";
        if (newest.length) {
          const p = new SqlParams(this.#dialect);
          const from = newest.at(-1)!.position;
          await tx.executeRaw(
            p.query(`DELETE FROM ${this.#items} WHERE conversation_id = ${p.value(id)} AND position >= ${p.value(String(from), "bigint")}`),
          );
        }
        await this.#take(tx, id, locked.next, replacement.length);
        await this.#insertItems(tx, locked, locked.next, now, replacement);
        await this.#record(tx, id, op, now);
        return "done";
      }),
    );
  }

  /**
   * A response's turn on a conversation `writable` allows, inside the caller's transaction (this
   * repository is over it): locks the conversation's row, then runs `write` (the response's own
   * row); `status` then decides the rest. A turn in progress (queued, in_progress) marks the
   * conversation busy, refused ("locked") while another response is in progress on it; a
   * completed one appends `items()` once (the response's id is the operation's: storing it again
   * appends nothing); a final state frees the conversation.
   */
  async turn(
    id: string,
    responseId: string,
    status: string,
    writable: RowCondition,
    write: () => Promise<void>,
    items: () => Promise<readonly NewItem[]>,
    now: number,
  ): Promise<"done" | "locked" | "no-conversation"> {
    return runStorage("storeResponseObject", async () => {
      const locked = await this.#lock(this.#db, id, writable);
      if (!locked) return "no-conversation";
      const p = new SqlParams(this.#dialect);
      const active = await this.#db.queryRaw(p.query(`SELECT active_response_id FROM ${this.#conversations} WHERE id = ${p.value(id)}`));
      const busy = active.rows[0]?.[0];
      const inProgress = status === "queued" || status === "in_progress";
      if (inProgress && typeof busy === "string" && busy !== responseId) return "locked";
      await write();
      if (status === "completed") {
        const op = { id: `response:${responseId}`, digest: "turn" };
        if ((await this.#recorded(this.#db, id, op)) === "new") {
          const added = await items();
          await this.#take(this.#db, id, locked.next, added.length);
          await this.#insertItems(this.#db, locked, locked.next, now, added);
          await this.#record(this.#db, id, op, now);
        }
      }
      const next = inProgress ? responseId : busy === responseId ? null : busy;
      if (next !== busy) {
        const q = new SqlParams(this.#dialect);
        await this.#db.executeRaw(
          q.query(`UPDATE ${this.#conversations} SET active_response_id = ${q.value(next ?? null)} WHERE id = ${q.value(id)}`),
        );
      }
      return "done";
    });
  }

  /** Removes and returns the newest item of a conversation `writable` allows (undefined when it has none). */
  async pop(id: string, writable: RowCondition): Promise<unknown> {
    return runStorage("popConversationItem", () =>
      this.#db.transaction(async (tx) => {
        if (!(await this.#lock(tx, id, writable))) return "no-conversation";
        const [newest] = await this.#newest(tx, id, 1);
        if (!newest) return undefined;
        const p = new SqlParams(this.#dialect);
        await tx.executeRaw(
          p.query(
            `DELETE FROM ${this.#items} WHERE conversation_id = ${p.value(id)} AND position = ${p.value(String(newest.position), "bigint")}`,
          ),
        );
        return newest.item;
      }),
    );
  }

  /** Removes every item of a conversation `writable` allows, and its recorded operations; false when there is none. */
  async clear(id: string, writable: RowCondition): Promise<boolean> {
    return runStorage("clearConversation", () =>
      this.#db.transaction(async (tx) => {
        if (!(await this.#lock(tx, id, writable))) return false;
        for (const table of [this.#items, this.#operations]) {
          const p = new SqlParams(this.#dialect);
          await tx.executeRaw(p.query(`DELETE FROM ${table} WHERE conversation_id = ${p.value(id)}`));
        }
        return true;
      }),
    );
  }

  /** Every item of a visible conversation, oldest first; undefined when it is not visible. */
  async all(id: string, visible: RowCondition): Promise<unknown[] | undefined> {
    return runStorage("listConversationItems", async () => {
      if (!(await this.#find(this.#db, id, visible))) return undefined;
      const p = new SqlParams(this.#dialect);
      const result = await this.#db.queryRaw(
        p.query(`SELECT item FROM ${this.#items} WHERE conversation_id = ${p.value(id)} ORDER BY position ASC`),
      );
      return result.rows.map((r) => fromJson(r[0]));
    });
  }

  /** The conversation's row, locked until the transaction ends, if `writable` allows it: its next position and owner columns. */
  async #lock(tx: Queryable, id: string, writable: RowCondition): Promise<Locked | undefined> {
    const p = new SqlParams(this.#dialect);
    const result = await tx.queryRaw(
      p.query(
        `SELECT next_position, owner_principal, access_attributes FROM ${this.#conversations} ` +
          `WHERE id = ${p.value(id)} AND ${p.condition(writable, this.#conversations)}${this.#dialect.lockRow}`,
      ),
    );
    const row = result.rows[0];
    if (!row) return undefined;
    const attributes = row[2] == null ? null : (fromJson(row[2]) as Record<string, string[]>);
    return { id, next: Number(row[0]), ownerPrincipal: String(row[1]), accessAttributes: attributes };
  }

  /** Moves the conversation's next position past `count` new items (its row is locked). */
  async #take(tx: Queryable, id: string, next: number, count: number): Promise<void> {
    if (!count) return;
    const p = new SqlParams(this.#dialect);
    const to = p.value(String(next + count), "bigint");
    await tx.executeRaw(p.query(`UPDATE ${this.#conversations} SET next_position = ${to} WHERE id = ${p.value(id)}`));
  }

  /** The newest `count` items with their positions, newest first. */
  async #newest(tx: Queryable, id: string, count: number): Promise<{ position: number; item: unknown }[]> {
    const p = new SqlParams(this.#dialect);
    const result = await tx.queryRaw(
      p.query(`SELECT position, item FROM ${this.#items} WHERE conversation_id = ${p.value(id)} ORDER BY position DESC LIMIT ${count}`),
    );
    return result.rows.map((r) => ({ position: Number(r[0]), item: fromJson(r[1]) }));
  }

  /** Whether `op` was recorded for the conversation: not yet, with the same digest, or with another. */
  async #recorded(tx: Queryable, id: string, op: Operation): Promise<"new" | "applied" | "conflict"> {
    const p = new SqlParams(this.#dialect);
    const result = await tx.queryRaw(
      p.query(`SELECT digest FROM ${this.#operations} WHERE conversation_id = ${p.value(id)} AND operation_id = ${p.value(op.id)}`),
    );
    const row = result.rows[0];
    if (!row) return "new";
    return String(row[0]) === op.digest ? "applied" : "conflict";
  }

  async #record(tx: Queryable, id: string, op: Operation, now: number): Promise<void> {
    const p = new SqlParams(this.#dialect);
    const values = [p.value(id), p.value(op.id), p.value(op.digest), p.value(String(now), "bigint")];
    await tx.executeRaw(
      p.query(`INSERT INTO ${this.#operations} (conversation_id, operation_id, digest, created_at) VALUES (${values.join(", ")})`),
    );
  }

  /**
   * A page of a visible conversation's items: after the newest item named `after` (in `order`),
   * at most `limit`. "no-conversation" when it is not visible, "no-cursor" when `after` names no item.
   */
  async page(
    id: string,
    visible: RowCondition,
    slice: { after: string | undefined; limit: number; order: "asc" | "desc" },
  ): Promise<ItemRows | "no-conversation" | "no-cursor"> {
    return runStorage("listConversationItems", async () => {
      if (!(await this.#find(this.#db, id, visible))) return "no-conversation";
      let at: number | undefined;
      if (slice.after !== undefined) {
        at = await this.#position(id, slice.after);
        if (at === undefined) return "no-cursor";
      }
      // Placeholders are bound in the order they are written (MySQL's and SQLite's are positional).
      const p = new SqlParams(this.#dialect);
      const where = `conversation_id = ${p.value(id)}`;
      const from = at === undefined ? "" : ` AND position ${slice.order === "desc" ? "<" : ">"} ${p.value(String(at), "bigint")}`;
      const result = await this.#db.queryRaw(
        p.query(
          `SELECT item FROM ${this.#items} WHERE ${where}${from} ` +
            `ORDER BY position ${slice.order === "desc" ? "DESC" : "ASC"} LIMIT ${slice.limit + 1}`,
        ),
      );
      const items = result.rows.map((r) => fromJson(r[0]));
      return { items: items.slice(0, slice.limit), hasMore: items.length > slice.limit };
    });
  }

  /** The newest item named `itemId` of a visible conversation; "no-conversation", or undefined when there is no such item. */
  async item(id: string, itemId: string, visible: RowCondition): Promise<unknown> {
    return runStorage("retrieveConversationItem", async () => {
      if (!(await this.#find(this.#db, id, visible))) return "no-conversation";
      const p = new SqlParams(this.#dialect);
      const at = await this.#position(id, itemId);
      if (at === undefined) return undefined;
      const result = await this.#db.queryRaw(
        p.query(`SELECT item FROM ${this.#items} WHERE conversation_id = ${p.value(id)} AND position = ${p.value(String(at), "bigint")}`),
      );
      const row = result.rows[0];
      return row ? fromJson(row[0]) : undefined;
    });
  }

  /**
   * Deletes the newest item named `itemId` of a conversation `writable` allows (under its row
   * lock, as appends take it). Returns the conversation, "no-conversation", or "no-item".
   */
  async deleteItem(id: string, itemId: string, writable: RowCondition): Promise<ConversationRecord | "no-conversation" | "no-item"> {
    return runStorage("deleteConversationItem", () =>
      this.#db.transaction(async (tx) => {
        const conversation = await this.#find(tx, id, writable, true);
        if (!conversation) return "no-conversation";
        const at = await this.#position(id, itemId, tx);
        if (at === undefined) return "no-item";
        const p = new SqlParams(this.#dialect);
        await tx.executeRaw(
          p.query(`DELETE FROM ${this.#items} WHERE conversation_id = ${p.value(id)} AND position = ${p.value(String(at), "bigint")}`),
        );
        return conversation;
      }),
    );
  }

  /**
   * Deletes, oldest first and `batchSize` at a time, the conversations created before
   * `createdBefore` (unix seconds) that `deletable` allows, each with its items. Returns how many.
   */
  async prune(createdBefore: number, deletable: RowCondition, batchSize: number, onBatch?: (deleted: number) => void): Promise<number> {
    let deleted = 0;
    for (;;) {
      const ids = await runStorage("pruneConversations", async () => {
        const p = new SqlParams(this.#dialect);
        const result = await this.#db.queryRaw(
          p.query(
            `SELECT id FROM ${this.#conversations} WHERE created_at < ${p.value(String(createdBefore), "bigint")} AND ` +
              `${p.condition(deletable, this.#conversations)} ORDER BY created_at ASC, id ASC LIMIT ${batchSize}`,
          ),
        );
        return result.rows.map((r) => String(r[0]));
      });
      for (const id of ids) if (await this.delete(id, deletable)) deleted++;
      onBatch?.(deleted);
      if (ids.length < batchSize) return deleted;
    }
  }

  async #find(on: Queryable, id: string, visible: RowCondition, lock = false): Promise<ConversationRecord | undefined> {
    const p = new SqlParams(this.#dialect);
    const result = await on.queryRaw(
      p.query(
        `SELECT id, created_at, metadata FROM ${this.#conversations} WHERE id = ${p.value(id)} AND ` +
          `${p.condition(visible, this.#conversations)}${lock ? this.#dialect.lockRow : ""}`,
      ),
    );
    const row = result.rows[0];
    if (!row) return undefined;
    return {
      id: String(row[0]),
      createdAt: Number(row[1]),
      metadata: row[2] == null ? null : (fromJson(row[2]) as Record<string, string>),
    };
  }

  /** The position of the newest item named `itemId` in conversation `id`. */
  async #position(id: string, itemId: string, on: Queryable = this.#db): Promise<number | undefined> {
    const p = new SqlParams(this.#dialect);
    // MAX over the (conversation_id, item_id, position) index: an ORDER BY position could walk the
    // primary key back from the newest item instead, through every item after it.
    const result = await on.queryRaw(
      p.query(`SELECT MAX(position) FROM ${this.#items} WHERE conversation_id = ${p.value(id)} AND item_id = ${p.value(itemId)}`),
    );
    const found = result.rows[0]?.[0];
    return found === null || found === undefined ? undefined : Number(found);
  }

  /** Inserts `items` at positions from `start`, with the conversation's owner columns. */
  async #insertItems(
    tx: Queryable,
    owner: { id: string; ownerPrincipal: string; accessAttributes: Record<string, string[]> | null },
    start: number,
    now: number,
    items: readonly NewItem[],
  ): Promise<void> {
    const attributes = owner.accessAttributes === null ? null : JSON.stringify(owner.accessAttributes);
    for (let from = 0; from < items.length; from += INSERT_CHUNK) {
      const p = new SqlParams(this.#dialect);
      const rows = items.slice(from, from + INSERT_CHUNK).map((item, i) => {
        const values = [
          p.value(owner.id),
          p.value(String(start + from + i), "bigint"),
          p.value(item.itemId),
          p.value(item.json, "json"),
          p.value(String(now), "bigint"),
          p.value(owner.ownerPrincipal),
          p.value(attributes, "json"),
        ];
        return `(${values.join(", ")})`;
      });
      await tx.executeRaw(
        p.query(
          `INSERT INTO ${this.#items} (conversation_id, position, item_id, item, created_at, owner_principal, access_attributes) ` +
            `VALUES ${rows.join(", ")}`,
        ),
      );
    }
  }
}
