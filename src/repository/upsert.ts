/**
 * The guarded upsert every table uses: insert, or replace what the writer may change, and report what was refused.
 *
 * Refused keys' rows are untouched. Ownership columns are never among those replaced. Written per dialect: one atomic
 * `INSERT ... ON CONFLICT ... DO UPDATE ... WHERE guard RETURNING key` (PostgreSQL, SQLite), or
 * on MySQL, whose `ON DUPLICATE KEY UPDATE` cannot report a refused update, a plain multi-row
 * INSERT first and, only on a duplicate key, a transaction that locks the stored rows, learns
 * which may be updated and upserts those.
 */
import type { ArgScalarType } from "@prisma/driver-adapter-utils";
import type { Queryable, TransactionalDb } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isUniqueViolation } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import { SqlParams, statement } from "./sql.js";

/** A table as the upsert writes it. The key is the first column. */
export interface UpsertTable {
  /** The table's name as SQL (schema-qualified where a schema is configured). */
  name: string;
  /** Columns in VALUES order, with the argument type of each. */
  columns: readonly (readonly [name: string, type: ArgScalarType])[];
  /** Columns an update replaces (never the key, never the owner columns). */
  replace: readonly string[];
  /**
   * A condition on the stored row (columns of `table`) and the proposed values (`proposed(column)`,
   * an SQL expression) that must also hold for a replace; a row it refuses is untouched and reported refused.
   */
  guard?: (table: string, proposed: (column: string) => string) => string;
}

/** The table's guard as SQL (`AND ...`), or nothing. */
function guarded(table: UpsertTable, proposed: (column: string) => string): string {
  return table.guard ? ` AND ${table.guard(table.name, proposed)}` : "";
}

/** The index of `column` among the table's columns, and its argument type. */
function columnOf(table: UpsertTable, column: string): [number, ArgScalarType] {
  const i = table.columns.findIndex(([name]) => name === column);
  return [i, table.columns[i]![1]];
}

/** The SET list of an upsert's update: each replaced column from `value(column)`. */
function assignments(table: UpsertTable, dialect: Dialect): string {
  return table.replace.map((c) => `${c} = ${dialect.proposed(c)}`).join(", ");
}

/** Rows of one writer: their values in column order, and the stored rows that writer may change. */
export interface UpsertGroup {
  rows: readonly (readonly unknown[])[];
  writable: RowCondition;
}

const keyOf = (table: UpsertTable) => table.columns[0]![0];

/** `INSERT INTO table (...) VALUES (...), (...)` for `rows`, binding their values to `p`. */
export function insertValues(p: SqlParams, table: UpsertTable, rows: readonly (readonly unknown[])[]): string {
  const values = rows.map((row) => `(${table.columns.map(([, type], i) => p.value(row[i], type)).join(", ")})`);
  return `INSERT INTO ${table.name} (${table.columns.map(([name]) => name).join(", ")}) VALUES ${values.join(", ")}`;
}

/** How upsertGuarded goes about it. */
export interface UpsertHow {
  /** Replace no stored row: every key already stored is returned (the caller writes those another way). */
  insertOnly?: boolean;
  /**
   * The keys among the rows that are stored, as the caller's transaction read them under lock
   * (`db` is that transaction; not with `insertOnly`). On MySQL a plain INSERT is then sent
   * only when none is: a statement known to fail on a duplicate key costs a round trip, and
   * inside a transaction is one more thing a Galera node must roll back in the middle of it.
   */
  stored?: ReadonlySet<string>;
}

/**
 * Writes every group; returns the keys refused because their stored row is not the writer's to
 * change, or the table's guard refuses the change (see UpsertHow for `insertOnly` and `stored`).
 */
export async function upsertGuarded(
  db: TransactionalDb,
  dialect: Dialect,
  table: UpsertTable,
  groups: readonly UpsertGroup[],
  { insertOnly = false, stored }: UpsertHow = {},
): Promise<Set<string>> {
  const refused = new Set<string>();
  const key = keyOf(table);
  if (dialect.upsert === "on-conflict-where") {
    for (const group of groups) {
      const p = new SqlParams(dialect);
      const insert = insertValues(p, table, group.rows); // placeholders in text order (SQLite numbers them by position)
      const onConflict = insertOnly
        ? "DO NOTHING"
        : `DO UPDATE SET ${assignments(table, dialect)} WHERE ${p.condition(group.writable, table.name, key)}${guarded(table, (c) => dialect.proposed(c))}`;
      const written = await db.queryRaw(p.query(`${insert} ON CONFLICT (${key}) ${onConflict} RETURNING ${key}`));
      const done = new Set(written.rows.map((r) => String(r[0])));
      for (const row of group.rows) if (!done.has(String(row[0]))) refused.add(String(row[0]));
    }
    return refused;
  }
  // New keys are the common case: one plain multi-row INSERT (atomic by itself) settles every
  // group in one round trip; only a duplicate key sends them down the locking path, and keys
  // known stored go down it at once.
  const known = !insertOnly && stored !== undefined && groups.some((g) => g.rows.some((r) => stored.has(String(r[0]))));
  if (!known) {
    try {
      const p = new SqlParams(dialect);
      await db.executeRaw(
        p.query(
          insertValues(
            p,
            table,
            groups.flatMap((g) => g.rows),
          ),
        ),
      );
      return refused;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (insertOnly) return new Set(groups.flatMap((g) => g.rows.map((r) => String(r[0]))));
    }
  }
  const fresh: (readonly unknown[])[] = [];
  const confirm = (q: Queryable) =>
    allStored(
      q,
      dialect,
      table,
      fresh.map((r) => String(r[0])),
    );
  return db.transaction(
    async (tx: Queryable) => {
      const writable: (readonly unknown[])[] = [];
      fresh.length = 0; // this attempt's
      for (const group of groups) {
        // Lock the stored rows of these keys (and the gaps, for new keys) and learn which the
        // writer may update; then one unconditional upsert of what may be written.
        const p = new SqlParams(dialect);
        // Each row's proposed value of a column, by key (the guard reads them).
        const proposed = (column: string) => {
          const [i, type] = columnOf(table, column);
          return `CASE ${table.name}.${key} ${group.rows.map((r) => `WHEN ${p.value(r[0])} THEN ${p.value(r[i], type)}`).join(" ")} END`;
        };
        const existing = await tx.queryRaw(
          p.query(
            `SELECT ${key}, (${p.condition(group.writable, table.name, key)}${guarded(table, proposed)}) AS ok FROM ${table.name} ` +
              `WHERE ${key} IN (${group.rows.map((r) => p.value(r[0])).join(", ")})${dialect.lockRow}`,
          ),
        );
        const ok = new Map(existing.rows.map((r) => [String(r[0]), Number(r[1]) === 1]));
        for (const row of group.rows) {
          const may = ok.get(String(row[0]));
          if (may === false) refused.add(String(row[0]));
          else (may === undefined ? fresh : writable).push(row);
        }
      }
      // Keys found unstored under the lock are inserted plainly, the stored ones upserted: a plain
      // INSERT is a change the connection can tell it made (on Galera its COMMIT is then checked
      // against the write set it replicated, see galera-commits.ts), an upsert may change nothing.
      if (fresh.length) {
        const p = new SqlParams(dialect);
        await tx.executeRaw(p.query(insertValues(p, table, fresh)));
      }
      if (writable.length) {
        const p = new SqlParams(dialect);
        await tx.executeRaw(p.query(`${insertValues(p, table, writable)} ON DUPLICATE KEY UPDATE ${assignments(table, dialect)}`));
      }
      return refused;
    },
    { confirm },
  );
}

/**
 * Whether a row is stored under every one of `keys` (true for none): how a transaction that
 * inserted them confirms a COMMIT its engine may not have applied (TransactionOptions.confirm).
 */
export async function allStored(q: Queryable, dialect: Dialect, table: UpsertTable, keys: readonly string[]): Promise<boolean> {
  if (!keys.length) return true;
  const p = new SqlParams(dialect);
  const key = keyOf(table);
  const found = await q.queryRaw(p.query(`SELECT COUNT(*) FROM ${table.name} WHERE ${key} IN (${keys.map((k) => p.value(k)).join(", ")})`));
  return Number(found.rows[0]?.[0]) === new Set(keys).size;
}

/**
 * Replaces the stored row of `key` when the writer may change it (and the table's guard allows),
 * never inserting: for writers the policy does not let create. Says what happened.
 */
export async function updateOnly(
  db: Queryable,
  dialect: Dialect,
  table: UpsertTable,
  row: readonly unknown[],
  writable: RowCondition,
): Promise<"updated" | "refused" | "absent"> {
  const key = keyOf(table);
  const p = new SqlParams(dialect);
  const valueOf = (column: string) => {
    const [i, type] = columnOf(table, column);
    return p.value(row[i], type);
  };
  const sets = table.replace.map((c) => `${c} = ${valueOf(c)}`);
  const count = await db.executeRaw(
    p.query(
      `UPDATE ${table.name} SET ${sets.join(", ")} WHERE ${key} = ${p.value(row[0])} AND ${p.condition(writable, table.name, key)}` +
        guarded(table, valueOf),
    ),
  );
  if (count > 0) return "updated";
  const exists = await db.queryRaw(statement(dialect, (p) => `SELECT 1 FROM ${table.name} WHERE ${key} = ${p.value(row[0])}`));
  return exists.rows.length ? "refused" : "absent";
}
