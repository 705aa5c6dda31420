/**
 * The only code that queries the `openai_responses` table. Each method is one logical operation
 * with access already decided (a Visibility), written as parameterised SQL for the dialect and
 * run through Prisma's driver adapter. Every backend error is wrapped once, by `run()`, into a
 * StorageError; our own errors pass through untouched.
 */
import type { SqlDriverAdapter } from "../db/client.js";
import type { SqlQueryable } from "@prisma/driver-adapter-utils";
import type { Dialect } from "../db/providers.js";
import { isTransient, isUniqueViolation } from "../db/transient.js";
import { InvalidParameterError, ResponseIdConflictError, StorageError, isResponsesStoreError } from "../errors.js";
import type { Visibility } from "../access/visibility.js";
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

/** Queries on `openai_responses` through one driver adapter. */
export class ResponsesRepository {
  constructor(
    private readonly db: SqlDriverAdapter,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Inserts the row, or replaces the stored response of an existing row the writer may change
   * (`writable`). Ownership never changes. An id held by a row outside `writable` is refused
   * with ResponseIdConflictError and left untouched.
   */
  async upsert(row: ResponseRow, writable: Visibility): Promise<void> {
    const json = JSON.stringify(row.responseObject);
    const attributes = row.accessAttributes === null ? null : JSON.stringify(row.accessAttributes);
    await this.run("storeResponseObject", async () => {
      if (this.dialect.upsert === "on-conflict-where") {
        const p = new SqlParams(this.dialect);
        const changed = await this.db.executeRaw(
          p.query(
            `INSERT INTO ${TABLE} (id, created_at, response_object, model, owner_principal, access_attributes) ` +
              `VALUES (${p.value(row.id)}, ${p.value(String(row.createdAt), "bigint")}, ${p.value(json, "json")}, ${p.value(row.model)}, ${p.value(row.ownerPrincipal)}, ${p.value(attributes, "json")}) ` +
              `ON CONFLICT (id) DO UPDATE SET response_object = excluded.response_object, created_at = excluded.created_at, model = excluded.model ` +
              `WHERE ${p.visible(writable, `${TABLE}.owner_principal`)}`,
          ),
        );
        if (changed === 0) throw new ResponseIdConflictError(row.id);
        return;
      }
      // New ids are the common case: INSERT first (one round trip), and on a duplicate id
      // UPDATE the row if the writer may change it. A concurrent delete or insert of the same
      // id can slip between the two statements; going round again settles it.
      for (let attempt = 0; attempt < 3; attempt++) {
        const i = new SqlParams(this.dialect);
        try {
          await this.db.executeRaw(
            i.query(
              `INSERT INTO ${TABLE} (id, created_at, response_object, model, owner_principal, access_attributes) ` +
                `VALUES (${i.value(row.id)}, ${i.value(String(row.createdAt), "bigint")}, ${i.value(json, "json")}, ${i.value(row.model)}, ${i.value(row.ownerPrincipal)}, ${i.value(attributes, "json")})`,
            ),
          );
          return;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        const u = new SqlParams(this.dialect);
        const matched = await this.db.executeRaw(
          u.query(
            `UPDATE ${TABLE} SET response_object = ${u.value(json, "json")}, created_at = ${u.value(String(row.createdAt), "bigint")}, model = ${u.value(row.model)} ` +
              `WHERE id = ${u.value(row.id)} AND ${u.visible(writable)}`,
          ),
        );
        if (matched > 0) return;
        const e = new SqlParams(this.dialect);
        const exists = await this.db.queryRaw(e.query(`SELECT 1 FROM ${TABLE} WHERE id = ${e.value(row.id)}`));
        if (exists.rows.length) break;
      }
      throw new ResponseIdConflictError(row.id);
    });
  }

  /**
   * Writes several rows (distinct ids) atomically with one multi-row guarded upsert,
   * and returns the ids that were refused because another owner holds them (those rows are
   * untouched). Each row's writer may change rows it owns and unowned rows: the default
   * policy's rule, evaluated per row against the owner the writer stamps.
   */
  async upsertMany(rows: readonly ResponseRow[]): Promise<Set<string>> {
    // One INSERT ... ON CONFLICT ... RETURNING is atomic by itself; MySQL's upsert and owner
    // check are two statements and need a transaction.
    return this.run("storeResponseObject", () =>
      this.dialect.upsert === "on-conflict-where" ? this.#upsertManyIn(this.db, rows) : this.#transaction((tx) => this.#upsertManyIn(tx, rows)),
    );
  }

  /**
   * Runs `fn` in a transaction on one connection. Driver adapters differ in who ends it: with
   * `usePhantomQuery: false` (pg, better-sqlite3) `commit()`/`rollback()` only release the
   * connection and the caller must send COMMIT/ROLLBACK itself; with `true` (mariadb) they do it.
   */
  async #transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const tx = await this.db.startTransaction();
    const end = async (verb: "COMMIT" | "ROLLBACK") => {
      if (!tx.options.usePhantomQuery) await tx.executeRaw({ sql: verb, args: [], argTypes: [] });
      await (verb === "COMMIT" ? tx.commit() : tx.rollback());
    };
    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      await end("ROLLBACK").catch(() => tx.rollback().catch(() => {}));
      throw error;
    }
    try {
      await end("COMMIT");
    } catch (error) {
      await tx.rollback().catch(() => {}); // release the connection; the server rolled back
      throw error;
    }
    return result;
  }

  async #upsertManyIn(tx: SqlQueryable, rows: readonly ResponseRow[]): Promise<Set<string>> {
    const p = new SqlParams(this.dialect);
    const values = rows
      .map(
        (r) =>
          `(${p.value(r.id)}, ${p.value(String(r.createdAt), "bigint")}, ${p.value(JSON.stringify(r.responseObject), "json")}, ` +
          `${p.value(r.model)}, ${p.value(r.ownerPrincipal)}, ${p.value(r.accessAttributes === null ? null : JSON.stringify(r.accessAttributes), "json")})`,
      )
      .join(", ");
    const insert = `INSERT INTO ${TABLE} (id, created_at, response_object, model, owner_principal, access_attributes) VALUES ${values} `;
    if (this.dialect.upsert === "on-conflict-where") {
      const written = await tx.queryRaw(
        p.query(
          insert +
            `ON CONFLICT (id) DO UPDATE SET response_object = excluded.response_object, created_at = excluded.created_at, model = excluded.model ` +
            `WHERE ${TABLE}.owner_principal IN (excluded.owner_principal, '') RETURNING id`,
        ),
      );
      const done = new Set(written.rows.map((r) => String(r[0])));
      return new Set(rows.map((r) => r.id).filter((id) => !done.has(id)));
    }
    const writable = `owner_principal IN (VALUES(owner_principal), '')`;
    await tx.executeRaw(
      p.query(
        insert +
          `ON DUPLICATE KEY UPDATE response_object = IF(${writable}, VALUES(response_object), response_object), ` +
          `created_at = IF(${writable}, VALUES(created_at), created_at), model = IF(${writable}, VALUES(model), model)`,
      ),
    );
    // The rows are locked by the upsert until commit: their owners now tell which were refused.
    const c = new SqlParams(this.dialect);
    const owners = await tx.queryRaw(
      c.query(`SELECT id, owner_principal FROM ${TABLE} WHERE id IN (${rows.map((r) => c.value(r.id)).join(", ")})`),
    );
    const ownerOf = new Map(owners.rows.map((r) => [String(r[0]), String(r[1])]));
    return new Set(rows.filter((r) => ![r.ownerPrincipal, ""].includes(ownerOf.get(r.id) ?? "")).map((r) => r.id));
  }

  /** The stored blob of a visible row, or undefined. */
  async find(id: string, visible: Visibility): Promise<StoredBlob | undefined> {
    return this.run("getResponseObject", async () => {
      const p = new SqlParams(this.dialect);
      const result = await this.db.queryRaw(
        p.query(`SELECT response_object FROM ${TABLE} WHERE id = ${p.value(id)} AND ${p.visible(visible)}`),
      );
      const row = result.rows[0];
      return row ? (fromJson(row[0]) as StoredBlob) : undefined;
    });
  }

  /** Deletes a visible row; false when there was none. */
  async delete(id: string, visible: Visibility): Promise<boolean> {
    return this.run("deleteResponseObject", async () => {
      const p = new SqlParams(this.dialect);
      const count = await this.db.executeRaw(p.query(`DELETE FROM ${TABLE} WHERE id = ${p.value(id)} AND ${p.visible(visible)}`));
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
  async page(query: PageQuery, visible: Visibility): Promise<ListPage<StoredBlob>> {
    return this.run("listResponses", async () => {
      const p = new SqlParams(this.dialect);
      const where = [p.visible(visible)];
      if (query.model) where.push(`model = ${p.value(query.model)}`);
      if (query.after) {
        const c = new SqlParams(this.dialect);
        const cursor = await this.db.queryRaw(
          c.query(`SELECT created_at FROM ${TABLE} WHERE id = ${c.value(query.after)} AND ${c.visible(visible)}`),
        );
        if (!cursor.rows.length) {
          throw new InvalidParameterError("after", `Record with id='${query.after}' not found in table '${TABLE}'`);
        }
        const beyond = query.order === "desc" ? "<" : ">";
        const createdAt = String(cursor.rows[0]![0]);
        where.push(
          `(created_at ${beyond} ${p.value(createdAt, "bigint")} OR (created_at = ${p.value(createdAt, "bigint")} AND id ${beyond} ${p.value(query.after)}))`,
        );
      }
      const direction = query.order === "desc" ? "DESC" : "ASC";
      const result = await this.db.queryRaw(
        p.query(
          `SELECT response_object FROM ${TABLE} WHERE ${where.join(" AND ")} ` +
            `ORDER BY created_at ${direction}, id ${direction} LIMIT ${p.value(query.limit + 1, "int")}`,
        ),
      );
      return assemblePage(
        result.rows.map((r) => fromJson(r[0]) as StoredBlob),
        query.limit,
        (blob) => blob.id,
      );
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
