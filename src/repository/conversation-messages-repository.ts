/**
 * The only code that queries the `conversation_messages` table: a conversation's chat messages by conversation id.
 *
 * Rows carry the same owner columns, and calls the same access conditions (a RowCondition, decided
 * by the store), as responses. Backend errors are wrapped once, by `runStorage`.
 */
import type { Db } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { runStorage } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import { SqlParams, fromJson, statement } from "./sql.js";
import { updateOnly, upsertGuarded, type UpsertTable } from "./upsert.js";
import { inBatches, type Batch } from "./batches.js";

/** A conversation's messages to write. */
export interface ConversationRow {
  conversationId: string;
  messages: unknown[];
  /** Unix seconds of this store. */
  now: number;
  ownerPrincipal: string;
  accessAttributes: Record<string, string[]> | null;
}

const KEY = "conversation_id";

/** Queries on the conversation messages table through one connection. */
export class ConversationMessagesRepository {
  readonly #db: Db;
  readonly #dialect: Dialect;
  readonly #table: UpsertTable;
  readonly #name: string;

  /** `name`: the table's SQL name (schema-qualified where configured). */
  constructor(db: Db, dialect: Dialect, name = "conversation_messages") {
    this.#db = db;
    this.#dialect = dialect;
    this.#name = name;
    this.#table = {
      name,
      columns: [
        [KEY, "string"],
        ["messages", "json"],
        ["created_at", "bigint"],
        ["updated_at", "bigint"],
        ["owner_principal", "string"],
        ["access_attributes", "json"],
      ],
      replace: ["messages", "updated_at"],
    };
  }

  /** The same repository over `db` (a call's bounded view of the connection). */
  on(db: Db): ConversationMessagesRepository {
    return new ConversationMessagesRepository(db, this.#dialect, this.#name);
  }

  /**
   * Stores the messages: inserts (when `mayCreate`), or replaces those of an existing row the
   * writer may update (`writable`); the owner and created_at never change. Says what happened.
   */
  async store(row: ConversationRow, writable: RowCondition, mayCreate: boolean): Promise<"stored" | "refused" | "absent"> {
    const values = [
      row.conversationId,
      JSON.stringify(row.messages),
      String(row.now),
      String(row.now),
      row.ownerPrincipal,
      row.accessAttributes === null ? null : JSON.stringify(row.accessAttributes),
    ];
    return runStorage("storeConversationMessages", async () => {
      if (!mayCreate) {
        const outcome = await updateOnly(this.#db, this.#dialect, this.#table, values, writable);
        return outcome === "updated" ? "stored" : outcome;
      }
      const refused = await upsertGuarded(this.#db, this.#dialect, this.#table, [{ rows: [values], writable }]);
      return refused.size ? "refused" : "stored";
    });
  }

  /** The messages of a visible conversation, or undefined. */
  async find(conversationId: string, visible: RowCondition): Promise<unknown[] | undefined> {
    return runStorage("getConversationMessages", async () => {
      const p = new SqlParams(this.#dialect);
      const result = await this.#db.queryRaw(
        p.query(
          `SELECT messages FROM ${this.#name} WHERE ${KEY} = ${p.value(conversationId)} AND ${p.condition(visible, this.#name, KEY)}`,
        ),
      );
      const row = result.rows[0];
      return row ? (fromJson(row[0]) as unknown[]) : undefined;
    });
  }

  /** Deletes a visible conversation's messages; false when there were none. */
  async delete(conversationId: string, deletable: RowCondition): Promise<boolean> {
    return runStorage("deleteConversationMessages", async () => {
      const p = new SqlParams(this.#dialect);
      const count = await this.#db.executeRaw(
        p.query(`DELETE FROM ${this.#name} WHERE ${KEY} = ${p.value(conversationId)} AND ${p.condition(deletable, this.#name, KEY)}`),
      );
      return count > 0;
    });
  }

  /** How many rows last stored before `storedBefore` `deletable` allows: what a prune would delete. */
  countPrunable(storedBefore: number, deletable: RowCondition): Promise<number> {
    return runStorage("pruneConversationMessages", async () => {
      const rows = await this.#db.queryRaw(
        statement(
          this.#dialect,
          (p) =>
            `SELECT COUNT(*) FROM ${this.#name} WHERE ${this.#name}.updated_at < ${p.value(String(storedBefore), "bigint")} AND ` +
            p.condition(deletable, this.#name, KEY),
        ),
      );
      return Number(rows.rows[0]?.[0] ?? 0);
    });
  }

  /**
   * Deletes, oldest first and `batchSize` at a time, the conversations last stored before
   * `storedBefore` (unix seconds) that `deletable` allows. Returns how many were deleted.
   */
  prune(storedBefore: number, deletable: RowCondition, batchSize: number, onBatch?: (deleted: number) => void): Promise<number> {
    return inBatches(batchSize, () => this.pruneBatch(storedBefore, deletable, batchSize), onBatch);
  }

  /** One round of a prune: the oldest `batchSize` matching rows, deleted in one statement. */
  pruneBatch(storedBefore: number, deletable: RowCondition, batchSize: number): Promise<Batch> {
    return runStorage("pruneConversationMessages", async () => {
      const p = new SqlParams(this.#dialect);
      const ids = await this.#db.queryRaw(
        p.query(
          `SELECT ${KEY} FROM ${this.#name} WHERE ${this.#name}.updated_at < ${p.value(String(storedBefore), "bigint")} AND ` +
            `${p.condition(deletable, this.#name, KEY)} ORDER BY updated_at ASC, ${KEY} ASC LIMIT ${batchSize}`,
        ),
      );
      if (!ids.rows.length) return { found: 0, deleted: 0 };
      const deleted = await this.#db.executeRaw(
        statement(
          this.#dialect,
          (q) =>
            `DELETE FROM ${this.#name} WHERE ${KEY} IN (${ids.rows.map((r) => q.value(String(r[0]))).join(", ")}) ` +
            `AND ${this.#name}.updated_at < ${q.value(String(storedBefore), "bigint")} AND ${q.condition(deletable, this.#name, KEY)}`,
        ),
      );
      return { found: ids.rows.length, deleted };
    });
  }
}
