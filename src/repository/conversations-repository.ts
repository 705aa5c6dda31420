/**
 * The conversations API's rows: a conversation created, found, updated, deleted and pruned, its items paged, read and deleted; history writes through `history`.
 *
 * A conversation row holds its metadata, owner and `next_position`; each item is one row at its
 * position (see conversation-tables.ts for how positions are taken). Every
 * read and page is an indexed lookup: a page of a 10,000-item conversation costs what one of a
 * 10-item one does. Access conditions (RowConditions) are decided by the store and applied to the
 * conversation row, whose id resource patterns name.
 */
import type { Db, Queryable } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isUniqueViolation, runStorage } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import { SqlParams, fromJson } from "./sql.js";
import { inBatches, type Batch } from "./batches.js";
import { ConversationHistoryRepository } from "./conversation-history-repository.js";
import { deleteItemAt, insertItems, removeContents, type ConversationTables, type NewItem } from "./conversation-tables.js";

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

/** A page of items, in the order asked for, and whether more follow. */
export interface ItemRows {
  items: unknown[];
  hasMore: boolean;
}

/** Queries on the conversations tables through one connection. */
export class ConversationsRepository {
  readonly #db: Db;
  readonly #t: ConversationTables;
  #history: ConversationHistoryRepository | undefined;

  /** The tables' SQL names (schema-qualified where configured). */
  constructor(db: Db, dialect: Dialect, tables: { conversations: string; items: string; operations: string }) {
    this.#db = db;
    this.#t = { dialect, ...tables };
  }

  /** The same repository over `db` (a call's bounded view of the connection). */
  on(db: Db): ConversationsRepository {
    const { dialect, ...tables } = this.#t;
    return new ConversationsRepository(db, dialect, tables);
  }

  /** The history writes (appends, suffix replacements, pops, clears, turns) over the same connection. */
  get history(): ConversationHistoryRepository {
    return (this.#history ??= new ConversationHistoryRepository(this.#db, this.#t));
  }

  /** Creates a conversation with its first items, in one transaction; false when its id is taken. */
  async create(row: NewConversation, items: readonly NewItem[]): Promise<boolean> {
    return runStorage("createConversation", async () => {
      try {
        await this.#db.transaction(async (tx) => {
          const p = new SqlParams(this.#t.dialect);
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
              `INSERT INTO ${this.#t.conversations} (id, created_at, metadata, next_position, owner_principal, access_attributes) ` +
                `VALUES (${values.join(", ")})`,
            ),
          );
          await insertItems(tx, this.#t, row, 0, row.createdAt, items);
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
      const p = new SqlParams(this.#t.dialect);
      const json = p.value(metadata === null ? null : JSON.stringify(metadata), "json");
      const changed = await this.#db.executeRaw(
        p.query(
          `UPDATE ${this.#t.conversations} SET metadata = ${json} WHERE id = ${p.value(id)} AND ${p.condition(writable, this.#t.conversations)}`,
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
        const p = new SqlParams(this.#t.dialect);
        const deleted = await tx.executeRaw(
          p.query(`DELETE FROM ${this.#t.conversations} WHERE id = ${p.value(id)} AND ${p.condition(deletable, this.#t.conversations)}`),
        );
        if (!deleted) return false;
        await removeContents(tx, this.#t, id);
        return true;
      }),
    );
  }

  /** Every item of a visible conversation, oldest first; undefined when it is not visible. */
  async all(id: string, visible: RowCondition): Promise<unknown[] | undefined> {
    return runStorage("listConversationItems", async () => {
      if (!(await this.#find(this.#db, id, visible))) return undefined;
      const p = new SqlParams(this.#t.dialect);
      const result = await this.#db.queryRaw(
        p.query(`SELECT item FROM ${this.#t.items} WHERE conversation_id = ${p.value(id)} ORDER BY position ASC`),
      );
      return result.rows.map((r) => fromJson(r[0]));
    });
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
      const p = new SqlParams(this.#t.dialect);
      const where = `conversation_id = ${p.value(id)}`;
      const from = at === undefined ? "" : ` AND position ${slice.order === "desc" ? "<" : ">"} ${p.value(String(at), "bigint")}`;
      const result = await this.#db.queryRaw(
        p.query(
          `SELECT item FROM ${this.#t.items} WHERE ${where}${from} ` +
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
      const p = new SqlParams(this.#t.dialect);
      const at = await this.#position(id, itemId);
      if (at === undefined) return undefined;
      const result = await this.#db.queryRaw(
        p.query(`SELECT item FROM ${this.#t.items} WHERE conversation_id = ${p.value(id)} AND position = ${p.value(String(at), "bigint")}`),
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
        await deleteItemAt(tx, this.#t, id, at);
        return conversation;
      }),
    );
  }

  /**
   * Deletes, oldest first and `batchSize` at a time, the conversations created before
   * `createdBefore` (unix seconds) that `deletable` allows, each with its items. Returns how many.
   */
  prune(createdBefore: number, deletable: RowCondition, batchSize: number, onBatch?: (deleted: number) => void): Promise<number> {
    return inBatches(batchSize, () => this.pruneBatch(createdBefore, deletable, batchSize), onBatch);
  }

  /** One round of a prune: the oldest `batchSize` matching conversations, each deleted with its items in its own transaction. */
  async pruneBatch(createdBefore: number, deletable: RowCondition, batchSize: number): Promise<Batch> {
    const ids = await runStorage("pruneConversations", async () => {
      const p = new SqlParams(this.#t.dialect);
      const result = await this.#db.queryRaw(
        p.query(
          `SELECT id FROM ${this.#t.conversations} WHERE created_at < ${p.value(String(createdBefore), "bigint")} AND ` +
            `${p.condition(deletable, this.#t.conversations)} ORDER BY created_at ASC, id ASC LIMIT ${batchSize}`,
        ),
      );
      return result.rows.map((r) => String(r[0]));
    });
    let deleted = 0;
    for (const id of ids) if (await this.delete(id, deletable)) deleted++;
    return { found: ids.length, deleted };
  }

  async #find(on: Queryable, id: string, visible: RowCondition, lock = false): Promise<ConversationRecord | undefined> {
    const p = new SqlParams(this.#t.dialect);
    const result = await on.queryRaw(
      p.query(
        `SELECT id, created_at, metadata FROM ${this.#t.conversations} WHERE id = ${p.value(id)} AND ` +
          `${p.condition(visible, this.#t.conversations)}${lock ? this.#t.dialect.lockRow : ""}`,
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
    const p = new SqlParams(this.#t.dialect);
    // MAX over the (conversation_id, item_id, position) index: an ORDER BY position could walk the
    // primary key back from the newest item instead, through every item after it.
    const result = await on.queryRaw(
      p.query(`SELECT MAX(position) FROM ${this.#t.items} WHERE conversation_id = ${p.value(id)} AND item_id = ${p.value(itemId)}`),
    );
    const found = result.rows[0]?.[0];
    return found === null || found === undefined ? undefined : Number(found);
  }
}
