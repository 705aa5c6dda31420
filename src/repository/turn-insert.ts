/**
 * A new turn continuing a parent this process remembers, in one statement (or one it does not, read first).
 *
 * The turn is planned against what the process remembers of its parent (counts, digests, depth),
 * or against the parent's row as just read (storeTurn on another instance: its size too),
 * and the statement inserts it only where the parent row still holds exactly that: live, readable
 * by the writer, share-locked (on PostgreSQL and MySQL) until the insert is done, so that no
 * delete or re-store of the parent lands between the check and the insert. Anything else (the
 * id stored already, the parent changed, gone or not the writer's to read) inserts nothing, and
 * the write goes the ordinary way, in a transaction that reads and locks the parent first.
 */
import type { Queryable } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isUniqueViolation } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import type { ChainColumns, ParentFacts } from "./chain.js";
import { rowValues, type PlannedRow, type TableRef } from "./responses-table.js";
import { SqlParams } from "./sql.js";

/** `column = value`, or `column IS NULL` for null, on the parent's alias. */
function equals(p: SqlParams, column: string, value: string | number | null, type: "string" | "int" | "bigint" = "string"): string {
  return value === null ? `pa.${column} IS NULL` : `pa.${column} = ${p.value(value, type)}`;
}

/**
 * Inserts `row` (planned against `parent`, linked to it) when the parent row holds what `parent`
 * says and `readable` allows it, in one statement; true when it was inserted. A stored id, or a
 * parent that changed, inserts nothing and answers false.
 */
export async function insertContinuing(
  q: Queryable,
  dialect: Dialect,
  table: TableRef,
  row: PlannedRow & { chain: ChainColumns },
  parent: ParentFacts & { fullBytes?: number | null },
  readable: RowCondition,
): Promise<boolean> {
  const p = new SqlParams(dialect);
  const { upsert } = table;
  const values = rowValues(row);
  // Placeholders in text order: MySQL and SQLite number them by position.
  const select = upsert.columns.map(([, type], i) => p.value(values[i], type)).join(", ");
  const where = [
    `pa.id = ${p.value(parent.id)}`,
    p.live(readable, "pa"),
    equals(p, "depth", parent.depth, "int"),
    equals(p, "input_count", parent.inputCount, "int"),
    equals(p, "output_count", parent.outputCount, "int"),
    equals(p, "messages_count", parent.messagesCount, "int"),
    equals(p, "history_digest", parent.historyDigest),
    equals(p, "messages_digest", parent.messagesDigest),
  ];
  if (parent.fullBytes !== undefined)
    where.push(equals(p, "full_bytes", parent.fullBytes === null ? null : String(parent.fullBytes), "bigint"));
  const sql =
    `INSERT INTO ${table.name} (${upsert.columns.map(([name]) => name).join(", ")}) ` +
    `SELECT ${select} FROM ${table.name} pa WHERE ${where.join(" AND ")}${dialect.lockShared}`;
  if (dialect.upsert === "on-conflict-where") {
    const inserted = await q.queryRaw(p.query(`${sql} ON CONFLICT (id) DO NOTHING RETURNING id`));
    return inserted.rows.length > 0;
  }
  try {
    return (await q.executeRaw(p.query(sql))) > 0;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
