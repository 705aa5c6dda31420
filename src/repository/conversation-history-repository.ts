/**
 * The history writes of a conversation, each under its row lock: appends, an Agents session's suffix replacements, pops and clears, and a response's turn.
 *
 * Every write locks the conversation's row first, so concurrent writes on any number of instances
 * apply one after another. A session's operation is recorded in the transaction that applies it:
 * the same id again applies nothing.
 */
import { isDeepStrictEqual } from "node:util";
import type { Db, Queryable } from "../db/client.js";
import { runStorage } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import {
  appendItems,
  deleteItemAt,
  lockConversation,
  removeContents,
  type ConversationTables,
  type NewItem,
} from "./conversation-tables.js";
import { SqlParams, fromJson } from "./sql.js";

/** A session's operation: its id, and the digest of what it does. */
export interface Operation {
  id: string;
  digest: string;
}

/** What a write on a conversation did: done, nothing (an operation recorded already), refused, or no such conversation. */
export type Outcome = "done" | "applied" | "conflict" | "no-conversation";

/** History writes through one connection (a transaction's, for a turn). */
export class ConversationHistoryRepository {
  readonly #db: Db;
  readonly #t: ConversationTables;

  constructor(db: Db, tables: ConversationTables) {
    this.#db = db;
    this.#t = tables;
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
        const locked = await lockConversation(tx, this.#t, id, writable);
        if (!locked) return "no-conversation";
        const recorded = op ? await this.#recorded(tx, id, op) : "new";
        if (recorded !== "new") return recorded;
        await appendItems(tx, this.#t, locked, now, items);
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
        const locked = await lockConversation(tx, this.#t, id, writable);
        if (!locked) return "no-conversation";
        const recorded = await this.#recorded(tx, id, op);
        if (recorded !== "new") return recorded;
        const newest = expected.length ? await this.#newest(tx, id, expected.length) : [];
        const actual = newest.map((r) => r.item).reverse();
        if (actual.length !== expected.length || !isDeepStrictEqual(actual, expected)) return "mismatch";
        if (newest.length) {
          const p = new SqlParams(this.#t.dialect);
          const from = newest.at(-1)!.position;
          await tx.executeRaw(
            p.query(
              `DELETE FROM ${this.#t.items} WHERE conversation_id = ${p.value(id)} AND position >= ${p.value(String(from), "bigint")}`,
            ),
          );
        }
        // The replaced items are gone; the replacement takes new positions after every one ever used.
        await appendItems(tx, this.#t, locked, now, replacement);
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
      const locked = await lockConversation(this.#db, this.#t, id, writable);
      if (!locked) return "no-conversation";
      const busy = locked.activeResponseId; // read with the lock: no second statement
      const inProgress = status === "queued" || status === "in_progress";
      if (inProgress && busy !== null && busy !== responseId) return "locked";
      await write();
      if (status === "completed") {
        const op = { id: `response:${responseId}`, digest: "turn" };
        if ((await this.#recorded(this.#db, id, op)) === "new") {
          await appendItems(this.#db, this.#t, locked, now, await items());
          await this.#record(this.#db, id, op, now);
        }
      }
      const next = inProgress ? responseId : busy === responseId ? null : busy;
      if (next !== busy) {
        const q = new SqlParams(this.#t.dialect);
        await this.#db.executeRaw(
          q.query(`UPDATE ${this.#t.conversations} SET active_response_id = ${q.value(next ?? null)} WHERE id = ${q.value(id)}`),
        );
      }
      return "done";
    });
  }

  /** Removes and returns the newest item of a conversation `writable` allows (undefined when it has none). */
  async pop(id: string, writable: RowCondition): Promise<unknown> {
    return runStorage("popConversationItem", () =>
      this.#db.transaction(async (tx) => {
        if (!(await lockConversation(tx, this.#t, id, writable))) return "no-conversation";
        const [newest] = await this.#newest(tx, id, 1);
        if (!newest) return undefined;
        await deleteItemAt(tx, this.#t, id, newest.position);
        return newest.item;
      }),
    );
  }

  /** Removes every item of a conversation `writable` allows, and its recorded operations; false when there is none. */
  async clear(id: string, writable: RowCondition): Promise<boolean> {
    return runStorage("clearConversation", () =>
      this.#db.transaction(async (tx) => {
        if (!(await lockConversation(tx, this.#t, id, writable))) return false;
        await removeContents(tx, this.#t, id);
        return true;
      }),
    );
  }

  /** The newest `count` items with their positions, newest first. */
  async #newest(tx: Queryable, id: string, count: number): Promise<{ position: number; item: unknown }[]> {
    const p = new SqlParams(this.#t.dialect);
    const result = await tx.queryRaw(
      p.query(`SELECT position, item FROM ${this.#t.items} WHERE conversation_id = ${p.value(id)} ORDER BY position DESC LIMIT ${count}`),
    );
    return result.rows.map((r) => ({ position: Number(r[0]), item: fromJson(r[1]) }));
  }

  /** Whether `op` was recorded for the conversation: not yet, with the same digest, or with another. */
  async #recorded(tx: Queryable, id: string, op: Operation): Promise<"new" | "applied" | "conflict"> {
    const p = new SqlParams(this.#t.dialect);
    const result = await tx.queryRaw(
      p.query(`SELECT digest FROM ${this.#t.operations} WHERE conversation_id = ${p.value(id)} AND operation_id = ${p.value(op.id)}`),
    );
    const row = result.rows[0];
    if (!row) return "new";
    return String(row[0]) === op.digest ? "applied" : "conflict";
  }

  async #record(tx: Queryable, id: string, op: Operation, now: number): Promise<void> {
    const p = new SqlParams(this.#t.dialect);
    const values = [p.value(id), p.value(op.id), p.value(op.digest), p.value(String(now), "bigint")];
    await tx.executeRaw(
      p.query(`INSERT INTO ${this.#t.operations} (conversation_id, operation_id, digest, created_at) VALUES (${values.join(", ")})`),
    );
  }
}
