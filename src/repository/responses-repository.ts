/**
 * The only code that queries the `openai_responses` table. Each method is one logical operation
 * with access already decided (a RowCondition), written as parameterised SQL for the dialect and
 * run through Prisma's driver adapter. Every backend error is wrapped once, by `run()`, into a
 * StorageError; our own errors pass through untouched.
 */
import type { Db, Queryable } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isTransient, isUniqueViolation } from "../db/transient.js";
import { InvalidParameterError, ResponseIdConflictError, StorageError, isResponsesStoreError } from "../errors.js";
import type { RowCondition } from "../access/where.js";
import { assemblePage, type ListPage, type Order } from "./keyset.js";
import { SqlParams } from "./sql.js";

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
  limit: number;
  model?: string | undefined;
  order: Order;
}

const TABLE = "openai_responses";

/** JSON columns come back as text from some drivers and parsed from others. */
function fromJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
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

/** `INSERT INTO openai_responses (...) VALUES (...), (...)` for `rows`, binding their values to `p`. */
function insertValues(p: SqlParams, rows: readonly ResponseRow[]): string {
  const values = rows.map(
    (r) =>
      `(${p.value(r.id)}, ${p.value(String(r.createdAt), "bigint")}, ${p.value(JSON.stringify(r.responseObject), "json")}, ` +
      `${p.value(r.model)}, ${p.value(r.ownerPrincipal)}, ${p.value(r.accessAttributes === null ? null : JSON.stringify(r.accessAttributes), "json")})`,
  );
  return `INSERT INTO ${TABLE} (id, created_at, response_object, model, owner_principal, access_attributes) VALUES ${values.join(", ")}`;
}

/** Queries on `openai_responses` through one driver adapter. */
export class ResponsesRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  /**
   * How many rows each owner holds, most first (`""` for rows stored without a user), at most
   * `limit` owners. An index-only scan of the owner index.
   */
  async ownerCounts(limit: number): Promise<{ owner: string; rows: number }[]> {
    return this.run("ownerCounts", async () => {
      const p = new SqlParams(this.dialect);
      const result = await this.db.queryRaw(
        p.query(`SELECT owner_principal, COUNT(*) AS n FROM ${TABLE} GROUP BY owner_principal ORDER BY n DESC, owner_principal LIMIT ${limit}`),
      );
      return result.rows.map((r) => ({ owner: String(r[0]), rows: Number(r[1]) }));
    });
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
    const groups = new Map<string, ResponseRow[]>();
    for (const row of rows) {
      const key = `${row.ownerPrincipal}\u0000${JSON.stringify(row.accessAttributes)}`;
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    return this.run("storeResponseObject", async () => {
      const refused = new Set<string>();
      if (this.dialect.upsert === "on-conflict-where") {
        for (const group of groups.values()) {
          for (const id of await this.#upsertGuarded(this.db, group, writableBy(group[0]!))) refused.add(id);
        }
        return refused;
      }
      // New ids are the common case: one plain multi-row INSERT (atomic by itself) settles the
      // batch in one round trip; only a duplicate id sends it down the locking path.
      try {
        const i = new SqlParams(this.dialect);
        await this.db.executeRaw(i.query(insertValues(i, rows)));
        return refused;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      return this.db.transaction(async (tx) => {
        const writable: ResponseRow[] = [];
        for (const group of groups.values()) {
          // Lock the stored rows of these ids (and the gaps, for new ids) and learn which the
          // writer may update; then one unconditional upsert of what may be written.
          const c = new SqlParams(this.dialect);
          const existing = await tx.queryRaw(
            c.query(
              `SELECT id, (${c.condition(writableBy(group[0]!), TABLE)}) AS ok FROM ${TABLE} ` +
                `WHERE id IN (${group.map((r) => c.value(r.id)).join(", ")}) FOR UPDATE`,
            ),
          );
          const ok = new Map(existing.rows.map((r) => [String(r[0]), Number(r[1]) === 1]));
          for (const row of group) (ok.get(row.id) === false ? refused.add(row.id) : writable.push(row));
        }
        if (writable.length) {
          const p = new SqlParams(this.dialect);
          await tx.executeRaw(
            p.query(
              `${insertValues(p, writable)} ON DUPLICATE KEY UPDATE response_object = VALUES(response_object), ` +
                `created_at = VALUES(created_at), model = VALUES(model)`,
            ),
          );
        }
        return refused;
      });
    });
  }

  /** One multi-row INSERT ... ON CONFLICT DO UPDATE ... WHERE guard RETURNING id; the refused ids. */
  async #upsertGuarded(db: Queryable, rows: readonly ResponseRow[], writable: RowCondition): Promise<string[]> {
    const p = new SqlParams(this.dialect);
    const written = await db.queryRaw(
      p.query(
        `${insertValues(p, rows)} ON CONFLICT (id) DO UPDATE SET response_object = excluded.response_object, ` +
          `created_at = excluded.created_at, model = excluded.model WHERE ${p.condition(writable, TABLE)} RETURNING id`,
      ),
    );
    const done = new Set(written.rows.map((r) => String(r[0])));
    return rows.map((r) => r.id).filter((id) => !done.has(id));
  }

  /** The stored blob of a visible row, or undefined. */
  async find(id: string, visible: RowCondition): Promise<StoredBlob | undefined> {
    return this.run("getResponseObject", async () => {
      const p = new SqlParams(this.dialect);
      const result = await this.db.queryRaw(
        p.query(`SELECT response_object FROM ${TABLE} WHERE id = ${p.value(id)} AND ${p.condition(visible, TABLE)}`),
      );
      const row = result.rows[0];
      return row ? (fromJson(row[0]) as StoredBlob) : undefined;
    });
  }

  /** Deletes a visible row; false when there was none. */
  async delete(id: string, visible: RowCondition): Promise<boolean> {
    return this.run("deleteResponseObject", async () => {
      const p = new SqlParams(this.dialect);
      const count = await this.db.executeRaw(p.query(`DELETE FROM ${TABLE} WHERE id = ${p.value(id)} AND ${p.condition(visible, TABLE)}`));
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
          c.query(`SELECT created_at FROM ${TABLE} WHERE id = ${c.value(query.after)} AND ${c.condition(visible, TABLE)}`),
        );
        if (!found.rows.length) {
          throw new InvalidParameterError("after", `Record with id='${query.after}' not found in table '${TABLE}'`);
        }
        cursor = { createdAt: String(found.rows[0]![0]), id: query.after };
      }
      const p = new SqlParams(this.dialect);
      const direction = query.order === "desc" ? "DESC" : "ASC";
      const orderBy = `ORDER BY created_at ${direction}, id ${direction}`;
      const rest = (): string[] => {
        const where: string[] = [];
        if (query.model) where.push(`${TABLE}.model = ${p.value(query.model)}`);
        if (cursor) {
          const beyond = query.order === "desc" ? "<" : ">";
          where.push(
            `(${TABLE}.created_at ${beyond} ${p.value(cursor.createdAt, "bigint")} OR ` +
              `(${TABLE}.created_at = ${p.value(cursor.createdAt, "bigint")} AND ${TABLE}.id ${beyond} ${p.value(cursor.id)}))`,
          );
        }
        return where;
      };
      const owners = ownerPartition(visible);
      let sql: string;
      if (owners) {
        // Visibility is "one of these owners": one (owner_principal, created_at, id) index range
        // per owner, each cut at limit + 1, merged. A single scan with OR would walk the
        // (created_at, id) index filtering out other owners' rows.
        const branch = (owner: string) =>
          `SELECT * FROM (SELECT response_object, created_at, id FROM ${TABLE} WHERE ` +
          `${[`${TABLE}.owner_principal = ${p.value(owner)}`, ...rest()].join(" AND ")} ${orderBy} LIMIT ${query.limit + 1}) AS o${p.count}`;
        sql = `SELECT response_object FROM (${owners.map(branch).join(" UNION ALL ")}) AS visible_rows ${orderBy} LIMIT ${query.limit + 1}`;
      } else {
        sql =
          `SELECT response_object FROM ${TABLE} WHERE ${[p.condition(visible, TABLE), ...rest()].join(" AND ")} ` +
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
              `SELECT COUNT(*) FROM ${TABLE} WHERE ${TABLE}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.condition(deletable, TABLE)}`,
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
            `SELECT id FROM ${TABLE} WHERE ${TABLE}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.condition(deletable, TABLE)} ` +
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
            `DELETE FROM ${TABLE} WHERE id IN (${ids.map((id) => p.value(id)).join(", ")}) ` +
              `AND ${TABLE}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.condition(deletable, TABLE)}`,
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
          `SELECT model, COUNT(*), SUM(${this.dialect.byteLength(`${TABLE}.response_object`)}) FROM ${TABLE} ` +
            `WHERE ${p.condition(visible, TABLE)} GROUP BY model ORDER BY model`,
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
        const existing = await this.db.queryRaw(c.query(`SELECT id FROM ${TABLE} WHERE id IN (${rows.map((r) => c.value(r.id)).join(", ")})`));
        const stored = new Set(existing.rows.map((r) => String(r[0])));
        const absent = rows.filter((r) => !stored.has(r.id));
        if (!absent.length) return [];
        try {
          const p = new SqlParams(this.dialect);
          await this.db.executeRaw(p.query(insertValues(p, absent)));
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
