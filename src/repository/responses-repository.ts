/**
 * The only code that queries the `openai_responses` table. Each method is one logical operation
 * with access already decided (a RowCondition), written as parameterised SQL for the dialect and
 * run through Prisma's driver adapter. Every backend error is wrapped once, by `run()`, into a
 * StorageError; our own errors pass through untouched.
 */
import type { Db } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isTransient, isUniqueViolation } from "../db/transient.js";
import {
  AccessDeniedError,
  InvalidParameterError,
  ResponseIdConflictError,
  ResponseNotFoundError,
  StorageError,
  isResponsesStoreError,
  type ResponsesStoreError,
} from "../errors.js";
import { writerOf } from "../access/owner.js";
import type { RowCondition } from "../access/where.js";
import type { User } from "../schemas/params.js";
import { assemblePage, type ListPage, type Order } from "./keyset.js";
import { SqlParams } from "./sql.js";
import { insertValues, updateOnly, upsertGuarded, type UpsertTable } from "./upsert.js";

/** The stored JSON blob: the response object plus its input items and chat messages. */
export type StoredBlob = Record<string, unknown> & { id: string; input?: unknown[]; messages?: unknown[] | null };

/** A row to write. */
export interface ResponseRow {
  id: string;
  createdAt: number;
  model: string;
  responseObject: StoredBlob;
  ownerPrincipal: string;
  accessAttributes: Record<string, string[]> | null;
}

/** What `page()` takes, validated. */
export interface PageQuery {
  after?: string | undefined;
  /** Leave `input` and `messages` out of the returned blobs (in the database). */
  includeInput: boolean;
  limit: number;
  model?: string | undefined;
  order: Order;
}


/** JSON columns come back as text from some drivers and parsed from others. */
export function fromJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

/** A SQL boolean as the drivers return it (true, 1, 1n, "1", "t"). */
export function truthy(value: unknown): boolean {
  return value === true || value === "t" || value === "true" || Number(value) === 1;
}

/**
 * The owners whose rows a visibility condition selects, when it is exactly "owner is one of
 * these" (the default policy's shape: the caller, and unowned rows); otherwise undefined.
 */
function ownerPartition(c: RowCondition): string[] | undefined {
  const items = c.kind === "or" ? c.items : [c];
  const owners: string[] = [];
  for (const item of items) {
    if (item.kind === "owner-is") owners.push(item.principal);
    else if (item.kind === "not" && item.item.kind === "owned") owners.push("");
    else return undefined;
  }
  return owners.length ? [...new Set(owners)] : undefined;
}

/** The responses table as the guarded upsert writes it. */
function responsesTable(name: string): UpsertTable {
  return {
    name,
    columns: [
      ["id", "string"],
      ["created_at", "bigint"],
      ["response_object", "json"],
      ["model", "string"],
      ["owner_principal", "string"],
      ["access_attributes", "json"],
    ],
    replace: ["response_object", "created_at", "model"],
  };
}

/** A row's values in the upsert's column order. */
function rowValues(r: ResponseRow): unknown[] {
  return [r.id, String(r.createdAt), JSON.stringify(r.responseObject), r.model, r.ownerPrincipal, r.accessAttributes === null ? null : JSON.stringify(r.accessAttributes)];
}

/**
 * One write to the responses table, as the store and its queue carry it:
 * - `store`: insert, or replace an existing row the writer may update. `mayCreate` is false when
 *   the policy does not let the writer create, so only an existing row may be replaced.
 * - `update`: a lifecycle update of an existing row: the response replaced, the stored input
 *   kept unless `input` is given, the stored messages always kept, the owner never changed.
 */
export type ResponseWrite =
  | { kind: "store"; id: string; row: ResponseRow; mayCreate: boolean }
  | { kind: "update"; id: string; response: StoredBlob; input: unknown[] | undefined; createdAt: number; model: string; writer: User | null };

/** The rows a write's writer may read and update, as conditions. */
export type WriteAccess = (writer: User | null) => { read: RowCondition; update: RowCondition };

/** Queries on the responses table through one connection. */
export class ResponsesRepository {
  readonly #table: UpsertTable;
  private readonly TABLE: string;
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    table = "openai_responses",
  ) {
    this.#table = responsesTable(table);
    this.TABLE = table;
  }

  /**
   * Inserts the row, or replaces the stored response of an existing row the writer may change
   * (`writable`). Ownership never changes. An id held by a row outside `writable` is refused
   * with ResponseIdConflictError and left untouched.
   */
  async upsert(row: ResponseRow, writable: RowCondition): Promise<void> {
    const refused = await this.upsertMany([row], () => writable);
    if (refused.has(row.id)) throw new ResponseIdConflictError(row.id);
  }

  /**
   * Writes several rows (distinct ids), and returns the ids refused because the writer may not
   * update the row already stored under them (those rows are untouched). `writableBy` gives,
   * for a row, the rows its writer may update; rows are grouped by writer, one multi-row
   * statement per group (atomic each; on MySQL one transaction for all).
   */
  async upsertMany(rows: readonly ResponseRow[], writableBy: (row: ResponseRow) => RowCondition): Promise<Set<string>> {
    const groups = new Map<string, { rows: unknown[][]; writable: RowCondition }>();
    for (const row of rows) {
      const key = `${row.ownerPrincipal}\u0000${JSON.stringify(row.accessAttributes)}`;
      const group = groups.get(key);
      if (group) group.rows.push(rowValues(row));
      else groups.set(key, { rows: [rowValues(row)], writable: writableBy(row) });
    }
    return this.run("storeResponseObject", () => upsertGuarded(this.db, this.dialect, this.#table, [...groups.values()]));
  }

  /**
   * Applies writes of distinct ids (a queue batch, or one direct call) and returns the writes
   * that failed for a reason of their own, by id; the others are committed. Stores are written
   * together as guarded multi-row upserts; updates one by one, each in its own transaction.
   */
  async write(writes: readonly ResponseWrite[], access: WriteAccess): Promise<Map<string, ResponsesStoreError>> {
    const failed = new Map<string, ResponsesStoreError>();
    const creating = writes.flatMap((w) => (w.kind === "store" && w.mayCreate ? [w.row] : []));
    if (creating.length) {
      for (const id of await this.upsertMany(creating, (row) => access(writerOf(row)).update)) failed.set(id, new ResponseIdConflictError(id));
    }
    for (const w of writes) {
      if (w.kind === "store" && !w.mayCreate) {
        const outcome = await this.run("storeResponseObject", () => updateOnly(this.db, this.dialect, this.#table, rowValues(w.row), access(writerOf(w.row)).update));
        if (outcome === "refused") failed.set(w.id, new ResponseIdConflictError(w.id));
        if (outcome === "absent") failed.set(w.id, new AccessDeniedError("create", w.id));
      } else if (w.kind === "update") {
        const error = await this.#update(w, access(w.writer));
        if (error) failed.set(w.id, error);
      }
    }
    return failed;
  }

  /** A lifecycle update, read-modify-write under a row lock; the error that refused it, if any. */
  async #update(w: Extract<ResponseWrite, { kind: "update" }>, access: { read: RowCondition; update: RowCondition }): Promise<ResponsesStoreError | undefined> {
    return this.run("updateResponseObject", () =>
      this.db.transaction(async (tx) => {
        const c = new SqlParams(this.dialect);
        const found = await tx.queryRaw(
          c.query(
            `SELECT response_object, (${c.condition(access.update, this.TABLE)}) AS ok FROM ${this.TABLE} ` +
              `WHERE id = ${c.value(w.id)} AND ${c.condition(access.read, this.TABLE)}${this.dialect.lockRow}`,
          ),
        );
        const row = found.rows[0];
        if (!row) return new ResponseNotFoundError(w.id);
        if (!truthy(row[1])) return new AccessDeniedError("update", w.id);
        const stored = fromJson(row[0]) as StoredBlob;
        const blob = { ...w.response, input: w.input ?? stored.input ?? [], ...(stored.messages === undefined ? {} : { messages: stored.messages }) };
        const p = new SqlParams(this.dialect);
        await tx.executeRaw(
          p.query(
            `UPDATE ${this.TABLE} SET response_object = ${p.value(JSON.stringify(blob), "json")}, created_at = ${p.value(String(w.createdAt), "bigint")}, ` +
              `model = ${p.value(w.model)} WHERE id = ${p.value(w.id)}`,
          ),
        );
        return undefined;
      }),
    );
  }

  /**
   * How many rows each owner holds, most first (`""` for rows stored without a user), at most
   * `limit` owners. An index-only scan of the owner index.
   */
  async ownerCounts(limit: number): Promise<{ owner: string; rows: number }[]> {
    return this.run("ownerCounts", async () => {
      const p = new SqlParams(this.dialect);
      const result = await this.db.queryRaw(
        p.query(`SELECT owner_principal, COUNT(*) AS n FROM ${this.TABLE} GROUP BY owner_principal ORDER BY n DESC, owner_principal LIMIT ${limit}`),
      );
      return result.rows.map((r) => ({ owner: String(r[0]), rows: Number(r[1]) }));
    });
  }

  /** The stored blob of a visible row, or undefined. */
  async find(id: string, visible: RowCondition): Promise<StoredBlob | undefined> {
    return this.run("getResponseObject", async () => {
      const p = new SqlParams(this.dialect);
      const result = await this.db.queryRaw(
        p.query(`SELECT response_object FROM ${this.TABLE} WHERE id = ${p.value(id)} AND ${p.condition(visible, this.TABLE)}`),
      );
      const row = result.rows[0];
      return row ? (fromJson(row[0]) as StoredBlob) : undefined;
    });
  }

  /** Deletes a visible row; false when there was none. */
  async delete(id: string, visible: RowCondition): Promise<boolean> {
    return this.run("deleteResponseObject", async () => {
      const p = new SqlParams(this.dialect);
      const count = await this.db.executeRaw(p.query(`DELETE FROM ${this.TABLE} WHERE id = ${p.value(id)} AND ${p.condition(visible, this.TABLE)}`));
      return count > 0;
    });
  }

  /**
   * One keyset page of visible rows, by (created_at, id): after a cursor (c, i), the rows with
   * `created_at < c OR (created_at = c AND id < i)` (`>` ascending), so rows that share a second
   * are neither skipped nor repeated.
   *
   * @throws InvalidParameterError when `after` names no visible row.
   */
  async page(query: PageQuery, visible: RowCondition): Promise<ListPage<StoredBlob>> {
    return this.run("listResponses", async () => {
      let cursor: { createdAt: string; id: string } | undefined;
      if (query.after) {
        const c = new SqlParams(this.dialect);
        const found = await this.db.queryRaw(
          c.query(`SELECT created_at FROM ${this.TABLE} WHERE id = ${c.value(query.after)} AND ${c.condition(visible, this.TABLE)}`),
        );
        if (!found.rows.length) {
          throw new InvalidParameterError("after", `Record with id='${query.after}' not found in table 'openai_responses'`);
        }
        cursor = { createdAt: String(found.rows[0]![0]), id: query.after };
      }
      const p = new SqlParams(this.dialect);
      const direction = query.order === "desc" ? "DESC" : "ASC";
      const orderBy = `ORDER BY created_at ${direction}, id ${direction}`;
      const rest = (): string[] => {
        const where: string[] = [];
        if (query.model) where.push(`${this.TABLE}.model = ${p.value(query.model)}`);
        if (cursor) {
          const beyond = query.order === "desc" ? "<" : ">";
          where.push(
            `(${this.TABLE}.created_at ${beyond} ${p.value(cursor.createdAt, "bigint")} OR ` +
              `(${this.TABLE}.created_at = ${p.value(cursor.createdAt, "bigint")} AND ${this.TABLE}.id ${beyond} ${p.value(cursor.id)}))`,
          );
        }
        return where;
      };
      const owners = ownerPartition(visible);
      // History views leave input and messages in the database.
      const blob = (column: string) => (query.includeInput ? column : this.dialect.jsonWithout(column, ["input", "messages"]));
      let sql: string;
      if (owners) {
        // Visibility is "one of these owners": one (owner_principal, created_at, id) index range
        // per owner, each cut at limit + 1, merged. A single scan with OR would walk the
        // (created_at, id) index filtering out other owners' rows.
        const branch = (owner: string) =>
          `SELECT * FROM (SELECT response_object, created_at, id FROM ${this.TABLE} WHERE ` +
          `${[`${this.TABLE}.owner_principal = ${p.value(owner)}`, ...rest()].join(" AND ")} ${orderBy} LIMIT ${query.limit + 1}) AS o${p.count}`;
        sql = `SELECT ${blob("visible_rows.response_object")} FROM (${owners.map(branch).join(" UNION ALL ")}) AS visible_rows ${orderBy} LIMIT ${query.limit + 1}`;
      } else {
        sql =
          `SELECT ${blob(`${this.TABLE}.response_object`)} FROM ${this.TABLE} WHERE ${[p.condition(visible, this.TABLE), ...rest()].join(" AND ")} ` +
          `${orderBy} LIMIT ${query.limit + 1}`;
      }
      const result = await this.db.queryRaw(p.query(sql));
      return assemblePage(
        result.rows.map((r) => fromJson(r[0]) as StoredBlob),
        query.limit,
        (blob) => blob.id,
      );
    });
  }

  /**
   * Deletes, oldest first and at most `batchSize` at a time, the rows created before
   * `createdBefore` (unix seconds) that `deletable` allows; `onBatch` hears the running total
   * and how many rows matched at the start (counted only when someone listens).
   * Returns how many rows were deleted.
   */
  async prune(
    createdBefore: number,
    deletable: RowCondition,
    batchSize: number,
    onBatch?: (deleted: number, total: number) => void,
  ): Promise<number> {
    let deleted = 0;
    const total = onBatch
      ? await this.run("pruneResponses", async () => {
          const p = new SqlParams(this.dialect);
          const rows = await this.db.queryRaw(
            p.query(
              `SELECT COUNT(*) FROM ${this.TABLE} WHERE ${this.TABLE}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.condition(deletable, this.TABLE)}`,
            ),
          );
          return Number(rows.rows[0]?.[0] ?? 0);
        })
      : 0;
    for (;;) {
      const ids = await this.run("pruneResponses", async () => {
        const p = new SqlParams(this.dialect);
        const rows = await this.db.queryRaw(
          p.query(
            `SELECT id FROM ${this.TABLE} WHERE ${this.TABLE}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.condition(deletable, this.TABLE)} ` +
              `ORDER BY created_at ASC, id ASC LIMIT ${batchSize}`,
          ),
        );
        return rows.rows.map((r) => String(r[0]));
      });
      if (!ids.length) return deleted;
      deleted += await this.run("pruneResponses", async () => {
        const p = new SqlParams(this.dialect);
        return this.db.executeRaw(
          p.query(
            `DELETE FROM ${this.TABLE} WHERE id IN (${ids.map((id) => p.value(id)).join(", ")}) ` +
              `AND ${this.TABLE}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.condition(deletable, this.TABLE)}`,
          ),
        );
      });
      onBatch?.(deleted, Math.max(total, deleted));
      if (ids.length < batchSize) return deleted;
    }
  }

  /** Rows and stored bytes of the rows `visible` allows, per model. */
  async storageStats(visible: RowCondition): Promise<{ model: string; rows: number; bytes: number }[]> {
    return this.run("storageStats", async () => {
      const p = new SqlParams(this.dialect);
      const result = await this.db.queryRaw(
        p.query(
          `SELECT model, COUNT(*), SUM(${this.dialect.byteLength(`${this.TABLE}.response_object`)}) FROM ${this.TABLE} ` +
            `WHERE ${p.condition(visible, this.TABLE)} GROUP BY model ORDER BY model`,
        ),
      );
      return result.rows.map((r) => ({ model: String(r[0]), rows: Number(r[1]), bytes: Number(r[2] ?? 0) }));
    });
  }

  /**
   * Inserts the rows whose ids are not stored yet, as they are (owners included); returns the
   * ids it inserted. For imports: running it again inserts nothing twice.
   */
  async insertAbsent(rows: readonly ResponseRow[]): Promise<string[]> {
    if (!rows.length) return [];
    return this.run("importResponses", async () => {
      for (let attempt = 0; ; attempt++) {
        const c = new SqlParams(this.dialect);
        const existing = await this.db.queryRaw(c.query(`SELECT id FROM ${this.TABLE} WHERE id IN (${rows.map((r) => c.value(r.id)).join(", ")})`));
        const stored = new Set(existing.rows.map((r) => String(r[0])));
        const absent = rows.filter((r) => !stored.has(r.id));
        if (!absent.length) return [];
        try {
          const p = new SqlParams(this.dialect);
          await this.db.executeRaw(p.query(insertValues(p, this.#table, absent.map(rowValues))));
          return absent.map((r) => r.id);
        } catch (error) {
          if (!isUniqueViolation(error) || attempt >= 2) throw error; // someone else inserted one meanwhile
        }
      }
    });
  }

  /** Runs one database operation; wraps backend errors once. */
  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isResponsesStoreError(error)) throw error;
      throw new StorageError(operation, isTransient(error), { cause: error });
    }
  }
}
