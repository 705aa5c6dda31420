/**
 * The conversations tables as both conversation repositories address them, and the statements they share: the row lock, positions taken, items inserted, a conversation's rows removed.
 *
 * Adding items takes the positions under the conversation's row lock (a SELECT ... FOR UPDATE,
 * then the increment, then the inserts, in one transaction), so concurrent calls on any number of
 * instances never interleave within one call and never reuse a position.
 */
import type { Queryable } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import type { RowCondition } from "../access/where.js";
import { SqlParams, fromJson } from "./sql.js";

/** The tables' SQL names (schema-qualified where configured), with the dialect they are written in. */
export interface ConversationTables {
  dialect: Dialect;
  conversations: string;
  items: string;
  operations: string;
}

/** An item to add: its id and its JSON (the id included). */
export interface NewItem {
  itemId: string;
  json: string;
}

/** A locked conversation: its next position, the response in progress on it, and its owner columns. */
export interface Locked {
  id: string;
  next: number;
  activeResponseId: string | null;
  ownerPrincipal: string;
  accessAttributes: Record<string, string[]> | null;
}

/** Rows per INSERT of items (7 values each: well within every engine's limit on parameters). */
const INSERT_CHUNK = 500;

/** The conversation's row, locked until the transaction ends, if `writable` allows it. */
export async function lockConversation(
  tx: Queryable,
  t: ConversationTables,
  id: string,
  writable: RowCondition,
): Promise<Locked | undefined> {
  const p = new SqlParams(t.dialect);
  const result = await tx.queryRaw(
    p.query(
      `SELECT next_position, owner_principal, access_attributes, active_response_id FROM ${t.conversations} ` +
        `WHERE id = ${p.value(id)} AND ${p.condition(writable, t.conversations)}${t.dialect.lockRow}`,
    ),
  );
  const row = result.rows[0];
  if (!row) return undefined;
  const attributes = row[2] == null ? null : (fromJson(row[2]) as Record<string, string[]>);
  const active = typeof row[3] === "string" ? row[3] : null;
  return { id, next: Number(row[0]), activeResponseId: active, ownerPrincipal: String(row[1]), accessAttributes: attributes };
}

/** Appends `items` to the locked conversation: its next position moved past them, then the rows inserted there. */
export async function appendItems(
  tx: Queryable,
  t: ConversationTables,
  locked: Locked,
  now: number,
  items: readonly NewItem[],
): Promise<void> {
  if (!items.length) return;
  const p = new SqlParams(t.dialect);
  const to = p.value(String(locked.next + items.length), "bigint");
  await tx.executeRaw(p.query(`UPDATE ${t.conversations} SET next_position = ${to} WHERE id = ${p.value(locked.id)}`));
  await insertItems(tx, t, locked, locked.next, now, items);
}

/** Inserts `items` at positions from `start`, with the conversation's owner columns. */
export async function insertItems(
  tx: Queryable,
  t: ConversationTables,
  owner: { id: string; ownerPrincipal: string; accessAttributes: Record<string, string[]> | null },
  start: number,
  now: number,
  items: readonly NewItem[],
): Promise<void> {
  const attributes = owner.accessAttributes === null ? null : JSON.stringify(owner.accessAttributes);
  for (let from = 0; from < items.length; from += INSERT_CHUNK) {
    const p = new SqlParams(t.dialect);
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
        `INSERT INTO ${t.items} (conversation_id, position, item_id, item, created_at, owner_principal, access_attributes) ` +
          `VALUES ${rows.join(", ")}`,
      ),
    );
  }
}

/** Removes every item of conversation `id` and its recorded operations (the caller holds its row, or deleted it). */
export async function removeContents(tx: Queryable, t: ConversationTables, id: string): Promise<void> {
  for (const table of [t.items, t.operations]) {
    const p = new SqlParams(t.dialect);
    await tx.executeRaw(p.query(`DELETE FROM ${table} WHERE conversation_id = ${p.value(id)}`));
  }
}

/** Deletes the item at `position` of conversation `id`. */
export async function deleteItemAt(tx: Queryable, t: ConversationTables, id: string, position: number): Promise<void> {
  const p = new SqlParams(t.dialect);
  await tx.executeRaw(
    p.query(`DELETE FROM ${t.items} WHERE conversation_id = ${p.value(id)} AND position = ${p.value(String(position), "bigint")}`),
  );
}
