/**
 * A new turn in one statement: on a parent this process remembers, or on the parent row as the insert finds it.
 *
 * On a remembered parent, the turn is planned against what the process remembers (counts,
 * digests, depth), and the statement inserts it only where the parent row still holds exactly
 * that. On a parent it does not remember (storeTurn on another instance), the statement takes
 * the turn's depth, counts and size from the parent row itself (each row keeps what a turn
 * continuing it inherits); a row stored before it kept that is read first, and the turn planned
 * on it is inserted only where the row still holds what was read. Either way the parent must be
 * live and readable by the writer, and is share-locked (on PostgreSQL and MySQL) until the
 * insert is done, so that no delete or re-store of the parent lands in between. Anything else
 * (the id stored already, the parent changed, gone or not the writer's to read) inserts nothing,
 * and the write goes the ordinary way, in a transaction that reads and locks the parent first.
 */
import type { Queryable } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isUniqueViolation } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import type { ChainColumns, ParentFacts } from "./chain.js";
import type { TurnOnParentRow } from "./chain-on-parent.js";
import { rowValues, type ChainColumnName, type PlannedRow, type ResponseRow, type TableRef } from "./responses-table.js";
import { SqlParams } from "./sql.js";

/** `column = value`, or `column IS NULL` for null, on the parent's alias. */
function equals(p: SqlParams, column: string, value: string | number | null, type: "string" | "int" | "bigint" = "string"): string {
  return value === null ? `pa.${column} IS NULL` : `pa.${column} = ${p.value(value, type)}`;
}

/**
 * Inserts `row`, a turn that adds `turn` to the live row `parentId` readable by `readable`, in one
 * statement that takes the turn's counts, depth and size from the parent row as it finds it
 * (share-locked on PostgreSQL and MySQL until the insert is done): true when it was inserted.
 * Nothing is inserted where the parent is not there for the writer, keeps no inherited size
 * (a row stored before it was kept, or never planned), or where the id is stored already. Its
 * text is the same for every turn (the turn's numbers are parameters): MySQL prepares it once
 * per connection.
 */
export async function insertOnParentRow(
  q: Queryable,
  dialect: Dialect,
  table: TableRef,
  { row, turn }: { row: ResponseRow; turn: TurnOnParentRow },
  parentId: string,
  readable: RowCondition,
): Promise<boolean> {
  const p = new SqlParams(dialect);
  const { upsert } = table;
  const base = rowValues({ row, json: turn.json, chain: null });
  const inherited = "pa.input_count + pa.output_count";
  const messagesStart = "COALESCE(pa.messages_count, 0)";
  // Placeholders in text order (MySQL and SQLite number them by position): each expression binds
  // its numbers as it is written.
  const n = (value: number, type: "int" | "bigint" = "int") => p.value(type === "bigint" ? String(value) : value, type);
  // The row's whole JSON: its own, the parent's inherited text, and the commas that join them.
  const fullBytes = () =>
    `${n(turn.jsonBytes, "bigint")} + pa.inherited_bytes + CASE WHEN ${inherited} > 0 THEN ${n(turn.inputJoin)} ELSE 0 END ` +
    `+ CASE WHEN ${messagesStart} > 0 THEN ${n(turn.messagesJoin)} ELSE 0 END`;
  // Every chain column, by name (the compiler holds this to the table's list).
  const chain: Record<ChainColumnName, () => string> = {
    parent_id: () => "pa.id",
    depth: () => "pa.depth + 1",
    input_start: () => inherited,
    input_count: () => `${inherited} + ${n(turn.input)}`,
    output_count: () => n(turn.output),
    messages_start: () => messagesStart,
    messages_count: () => `${messagesStart} + ${n(turn.messages)}`,
    history_digest: () => "NULL",
    messages_digest: () => "NULL",
    input_ids_unique: () => "NULL",
    full_bytes: fullBytes,
    // A comma joins the row's input to its output where both are there.
    inherited_bytes: () =>
      `${fullBytes()} + ${n(turn.inheritedOffset, "bigint")} + ` +
      `CASE WHEN ${inherited} + ${n(turn.input)} > 0 AND ${n(turn.output)} > 0 THEN 1 ELSE 0 END`,
    deleted_at: () => "NULL",
  };
  const select = upsert.columns
    .map(([name, type], i) => (i < base.length ? p.value(base[i], type) : chain[name as ChainColumnName]()))
    .join(", ");
  const where = [
    `pa.id = ${p.value(parentId)}`,
    p.live(readable, "pa"),
    "pa.inherited_bytes IS NOT NULL",
    "pa.input_count IS NOT NULL",
    "pa.output_count IS NOT NULL",
  ];
  const sql =
    `INSERT INTO ${table.name} (${upsert.columns.map(([name]) => name).join(", ")}) ` +
    `SELECT ${select} FROM ${table.name} pa WHERE ${where.join(" AND ")}${dialect.lockShared}`;
  return inserted(q, dialect, sql, p);
}

/** Runs a conditional INSERT ... SELECT: true when it inserted the row (a stored id inserts nothing). */
async function inserted(q: Queryable, dialect: Dialect, sql: string, p: SqlParams): Promise<boolean> {
  if (dialect.upsert === "on-conflict-where") {
    const rows = await q.queryRaw(p.query(`${sql} ON CONFLICT (id) DO NOTHING RETURNING id`));
    return rows.rows.length > 0;
  }
  try {
    return (await q.executeRaw(p.query(sql))) > 0;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
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
  return inserted(q, dialect, sql, p);
}
