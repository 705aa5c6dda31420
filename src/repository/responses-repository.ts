/**
 * The only code that queries the `openai_responses` table: reads and deletes here, writes and operator jobs delegated to their own files.
 *
 * Each method is one logical operation with access already decided (a RowCondition), written as
 * parameterised SQL for the dialect and run on the store's connection (its own pool, or a host's
 * adapter or PrismaClient). Every backend error is wrapped once, by `runStorage`.
 */
import type { Db } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { runStorage } from "../db/transient.js";
import { ownersOf, type RowCondition } from "../access/where.js";
import type { ResponseObject } from "../schemas/response.js";
import type { User } from "../schemas/params.js";
import type { ResponseWithInput, StoredResponse } from "../types.js";
import { rebuildInput, type ChainRow } from "./chain-rebuild.js";
import { deleteTurns, walkChains, walkNewest, wholeBlob } from "./chain-sql.js";
import { afterCursor, assemblePage, unknownCursor, type Cursor, type ListPage } from "./keyset.js";
import type { RememberedTurns } from "./remembered-turns.js";
import { ResponsesMaintenance } from "./responses-maintenance.js";
import type { Batch } from "./batches.js";
import {
  fromStoredBlob,
  listed,
  nowSeconds,
  type InputWindow,
  type PageQuery,
  type ResponseRow,
  type ResponseWrite,
  type ResponsesContext,
  type StoredBlob,
  type TableRef,
  type WriteAccess,
} from "./responses-table.js";
import { ResponseWrites } from "./responses-writes.js";
import { SqlParams, fromJson, intOrNull, textOrNull, truthy } from "./sql.js";

export type { InputWindow, PageQuery, ResponseRow, ResponseWrite, WriteAccess } from "./responses-table.js";

/** Per model: the rows, the bytes reads return, the bytes stored, and the deleted turns kept. */
export interface ModelCounts {
  model: string;
  rows: number;
  bytes: number;
  storedBytes: number;
  retained: number;
}

/** Queries on the responses table through one connection. */
export class ResponsesRepository {
  readonly #c: ResponsesContext;
  #writesJob: ResponseWrites | undefined;
  #maintenanceJob: ResponsesMaintenance | undefined;

  /**
   * `table`: the table as statements address it (tableRef()). `remembered`: the store's
   * remembered turns, consulted by reads and fed by stores.
   */
  constructor(db: Db, dialect: Dialect, table: TableRef, remembered: RememberedTurns) {
    this.#c = { db, dialect, table, remembered };
  }

  /** Stores and updates (made when first used: a call's view that only reads makes none). */
  get #writes(): ResponseWrites {
    return (this.#writesJob ??= new ResponseWrites(this.#c));
  }

  /** Prune, compact and import (made when first used). */
  get #maintenance(): ResponsesMaintenance {
    return (this.#maintenanceJob ??= new ResponsesMaintenance(this.#c));
  }

  /** The same repository over `db` (a call's bounded view of the connection), sharing what was computed once. */
  on(db: Db): ResponsesRepository {
    const { dialect, table, remembered } = this.#c;
    return new ResponsesRepository(db, dialect, table, remembered);
  }

  /** See ResponseWrites.write. */
  write(writes: readonly ResponseWrite[], access: WriteAccess): ReturnType<ResponseWrites["write"]> {
    return this.#writes.write(writes, access);
  }

  /** See ResponsesMaintenance.countPrunable. */
  countPrunable(createdBefore: number, deletable: RowCondition): Promise<number> {
    return this.#maintenance.countPrunable(createdBefore, deletable);
  }

  /** See ResponsesMaintenance.pruneBatch. */
  pruneBatch(createdBefore: number, deletable: RowCondition, batchSize: number): Promise<Batch> {
    return this.#maintenance.pruneBatch(createdBefore, deletable, batchSize);
  }

  /** See ResponsesMaintenance.prune. */
  prune(
    createdBefore: number,
    deletable: RowCondition,
    batchSize: number,
    onBatch?: (deleted: number, total: number) => void,
  ): Promise<number> {
    return this.#maintenance.prune(createdBefore, deletable, batchSize, onBatch);
  }

  /** See ResponsesMaintenance.compact. */
  compact(
    batchSize: number,
    readableBy: (writer: User | null) => RowCondition,
    onBatch?: (done: number, total: number) => void,
    only?: readonly string[],
  ): Promise<{ compacted: number; linked: number }> {
    return this.#maintenance.compact(batchSize, readableBy, onBatch, only);
  }

  /** See ResponsesMaintenance.insertAbsent. */
  insertAbsent(rows: readonly ResponseRow[]): Promise<string[]> {
    return this.#maintenance.insertAbsent(rows);
  }

  /**
   * SELECT of `columns` of the row `id` when it is visible and live; where the dialect says so
   * (`lookUpByKeyFirst`), the row is found by its primary key alone and the rest checked on it.
   */
  #visibleById(p: SqlParams, id: string, visible: RowCondition, columns: readonly string[]): string {
    const T = this.#c.table.name;
    if (!this.#c.dialect.lookUpByKeyFirst)
      return `SELECT ${columns.join(", ")} FROM ${T} WHERE id = ${p.value(id)} AND ${p.live(visible, T)}`;
    const wanted = [...new Set([...columns, "owner_principal", "access_attributes", "deleted_at", "id"])];
    const byKey = `SELECT ${wanted.join(", ")} FROM ${T} WHERE id = ${p.value(id)} LIMIT 1`;
    return `SELECT ${columns.map((c) => `r.${c}`).join(", ")} FROM (${byKey}) AS r WHERE ${p.live(visible, "r")}`;
  }

  /** The response `id` with its whole input and messages, when it is visible; undefined otherwise. */
  async find(id: string, visible: RowCondition): Promise<StoredResponse | undefined> {
    const { db, dialect, table, remembered } = this.#c;
    return runStorage("getResponseObject", async () => {
      // The row first (most are stored whole: one plain read), then its ancestors if it has any.
      const p = new SqlParams(dialect);
      const columns = [
        "response_object",
        "parent_id",
        "input_start",
        "messages_start",
        ...(remembered.enabled ? ["history_digest", "messages_digest"] : []),
      ];
      const found = await db.queryRaw(p.query(this.#visibleById(p, id, visible, columns)));
      const r = found.rows[0];
      if (!r) return undefined;
      const row: ChainRow = {
        id,
        parentId: textOrNull(r[1]),
        inputStart: Number(r[2]),
        messagesStart: Number(r[3]),
        blob: fromJson(r[0]) as StoredBlob,
      };
      if (row.parentId === null || (row.inputStart === 0 && row.messagesStart === 0)) return fromStoredBlob(row.blob as StoredBlob);
      // A turn this store remembers, whose digests say the row holds what it remembers.
      const kept = remembered.read(id, textOrNull(r[4]), textOrNull(r[5]));
      if (kept)
        return fromStoredBlob({
          ...(row.blob as StoredBlob),
          input: kept.input,
          ...(kept.messages === undefined ? {} : { messages: kept.messages }),
        });
      const rows = await walkChains(db, table.chains, [row.parentId], { kind: "all" });
      return fromStoredBlob(wholeBlob(row, rows, "getResponseObject") as StoredBlob);
    });
  }

  /**
   * A stretch of a visible row's whole input: the items from position `from(count, unique)` on
   * (reading only the turns that hold them), where `count` is the number of items in all and
   * `unique` whether no item id repeats among them (null when unknown). `newest`: how many of
   * the newest items `from` most likely asks for (a newest-first page), read in one statement
   * with the count. Undefined when there is no such row.
   */
  async inputFrom(
    id: string,
    visible: RowCondition,
    from: (count: number | null, unique: boolean | null) => number,
    newest?: number,
  ): Promise<InputWindow | undefined> {
    const { db, dialect, table, remembered } = this.#c;
    return runStorage("listResponseInputItems", async () => {
      // A turn this store does not remember, whose newest `newest` items are likely all `from`
      // asks for: its count and those items' rows in one statement.
      if (newest !== undefined && !remembered.has(id)) {
        const found = await walkNewest(db, table.chains, id, newest, visible);
        if (!found) return undefined;
        const start = Math.max(0, from(found.count, found.unique));
        const leaf = found.rows.get(id)!;
        const count = leaf.inputStart + (leaf.blob.input?.length ?? 0);
        const read = found.count === null ? 0 : Math.max(0, found.count - newest);
        if (start >= read) {
          const at = Math.min(start, count);
          return { items: rebuildInput(leaf, found.rows, "listResponseInputItems", at), from: at, count, unique: found.unique };
        }
      }
      const p = new SqlParams(dialect);
      const facts = await db.queryRaw(
        p.query(this.#visibleById(p, id, visible, ["input_count", "input_ids_unique", ...(remembered.enabled ? ["history_digest"] : [])])),
      );
      const f = facts.rows[0];
      if (!f) return undefined;
      const unique = f[1] === null || f[1] === undefined ? null : truthy(f[1]);
      const total = intOrNull(f[0]);
      const start = Math.max(0, from(total, unique));
      if (total !== null) {
        // A turn this store remembers, whose digest says the row holds what it remembers.
        const kept = remembered.inputFrom(id, textOrNull(f[2]), Math.min(start, total));
        if (kept) return { items: kept, from: Math.min(start, total), count: total, unique };
      }
      const rows = await walkChains(db, table.chains, [id], { kind: "input", from: start }, visible);
      const leaf = rows.get(id);
      if (!leaf) return undefined; // deleted meanwhile
      const count = leaf.inputStart + (leaf.blob.input?.length ?? 0);
      return {
        items: rebuildInput(leaf, rows, "listResponseInputItems", Math.min(start, count)),
        from: Math.min(start, count),
        count,
        unique,
      };
    });
  }

  /**
   * Deletes a visible row; false when there was none. A turn later turns build on is only
   * marked deleted (nobody sees it again) and goes with the last of them.
   */
  async delete(id: string, visible: RowCondition): Promise<boolean> {
    const { db, table, remembered } = this.#c;
    remembered.forget(id);
    return runStorage("deleteResponseObject", () =>
      db.transaction(
        async (tx) => (await deleteTurns(tx, table.chains, [id], nowSeconds(), (p) => p.condition(visible, table.name))).length > 0,
      ),
    );
  }

  /**
   * One keyset page of visible rows by (created_at, id), items without their internal messages
   * (and without input unless `includeInput`).
   *
   * @throws InvalidParameterError when `after` names no visible row.
   */
  async page(query: PageQuery, visible: RowCondition): Promise<ListPage<ResponseWithInput | ResponseObject>> {
    const { db, dialect, table } = this.#c;
    const T = table.name;
    return runStorage("listResponses", async () => {
      let cursor: Cursor | undefined;
      if (query.after) {
        const p = new SqlParams(dialect);
        const found = await db.queryRaw(p.query(this.#visibleById(p, query.after, visible, ["created_at"])));
        if (!found.rows.length) throw unknownCursor(query.after);
        cursor = { createdAt: String(found.rows[0]![0]), id: query.after };
      }
      const p = new SqlParams(dialect);
      const direction = query.order === "desc" ? "DESC" : "ASC";
      const orderBy = `ORDER BY created_at ${direction}, id ${direction}`;
      // The live rows `visibility` allows, of the model, beyond the cursor (placeholders in text order).
      const where = (visibility: RowCondition): string =>
        [
          p.live(visibility, T),
          ...(query.model ? [`${T}.model = ${p.value(query.model)}`] : []),
          ...(cursor ? [afterCursor(p, T, cursor, query.order)] : []),
        ].join(" AND ");
      const owners = ownersOf(visible);
      // History views leave input and messages in the database.
      const blob = (column: string) => (query.includeInput ? column : dialect.jsonWithout(column, ["input", "messages"]));
      // What an item will weigh as read: the whole JSON (full_bytes; a row stored whole is its own size).
      const size = `COALESCE(${T}.full_bytes, ${dialect.byteLength(`${T}.response_object`)})`;
      let sql: string;
      if (owners) {
        // Visibility is "one of these owners": one (owner_principal, created_at, id) index range
        // per owner, each cut at limit + 1, merged. A single scan with OR would walk the
        // (created_at, id) index filtering out other owners' rows.
        const branch = (owner: string) =>
          `SELECT * FROM (SELECT response_object, created_at, id, parent_id, input_start, ${size} AS size FROM ${T} WHERE ` +
          `${where({ kind: "owner-is", principal: owner })} ${orderBy} LIMIT ${query.limit + 1}) AS o${p.count}`;
        sql =
          `SELECT ${blob("visible_rows.response_object")}, visible_rows.id, visible_rows.parent_id, visible_rows.input_start, visible_rows.size ` +
          `FROM (${owners.map(branch).join(" UNION ALL ")}) AS visible_rows ${orderBy} LIMIT ${query.limit + 1}`;
      } else {
        sql =
          `SELECT ${blob(`${T}.response_object`)}, ${T}.id, ${T}.parent_id, ${T}.input_start, ${size} ` +
          `FROM ${T} WHERE ${where(visible)} ${orderBy} LIMIT ${query.limit + 1}`;
      }
      const result = await db.queryRaw(p.query(sql));
      // The page ends at `limit` items, or sooner, after the item that reaches the byte budget (at
      // least one item): has_more and last_id continue exactly where it ended.
      const weights = result.rows.map((r) => (query.includeInput ? Number(r[4] ?? 0) : jsonBytes(r[0])));
      const taken = withinBudget(weights, query.limit, query.maxBytes);
      const rows: ChainRow[] = result.rows.slice(0, taken).map((r) => ({
        id: String(r[1]),
        parentId: textOrNull(r[2]),
        inputStart: Number(r[3]),
        messagesStart: 0,
        blob: fromJson(r[0]) as StoredBlob,
      }));
      const hasMore = result.rows.length > taken; // the rows after the page only say that more follow
      let blobs = rows.map((r) => r.blob as StoredBlob);
      if (query.includeInput) {
        // Every continued turn's input from one walk over all their chains.
        const continued = rows.filter((r) => r.inputStart > 0);
        const parents = await walkChains(db, table.chains, [...new Set(continued.map((r) => r.parentId!))], { kind: "input", from: 0 });
        blobs = rows.map((r) =>
          r.inputStart > 0 ? { ...(r.blob as StoredBlob), input: rebuildInput(r, parents, "listResponses") } : (r.blob as StoredBlob),
        );
      }
      return assemblePage([...blobs.map((b) => listed(b, query.includeInput)), ...(hasMore ? [MORE] : [])], taken, (item) => item.id);
    });
  }

  /**
   * Per model, of the rows `visible` allows: the responses (deleted turns left out), the bytes
   * reads of them return, the bytes stored (turns that continue others keep only their own
   * items; deleted turns later turns build on are kept), and how many deleted turns are kept.
   */
  async storageStats(visible: RowCondition): Promise<ModelCounts[]> {
    const { db, dialect, table } = this.#c;
    const T = table.name;
    return runStorage("storageStats", async () => {
      const p = new SqlParams(dialect);
      const stored = dialect.byteLength(`${T}.response_object`);
      const live = `${T}.deleted_at IS NULL`; // counted apart, not filtered: deleted turns kept count as stored
      const result = await db.queryRaw(
        p.query(
          `SELECT model, SUM(CASE WHEN ${live} THEN 1 ELSE 0 END), ` +
            `SUM(CASE WHEN ${live} THEN COALESCE(${T}.full_bytes, ${stored}) ELSE 0 END), ` +
            `SUM(${stored}), SUM(CASE WHEN ${live} THEN 0 ELSE 1 END) ` +
            `FROM ${T} WHERE ${p.condition(visible, T)} GROUP BY model ORDER BY model`,
        ),
      );
      return result.rows.map((r) => ({
        model: String(r[0]),
        rows: Number(r[1] ?? 0),
        bytes: Number(r[2] ?? 0),
        storedBytes: Number(r[3] ?? 0),
        retained: Number(r[4] ?? 0),
      }));
    });
  }

  /**
   * How many rows each owner holds, most first (`""` for rows stored without a user), at most
   * `limit` owners, deleted turns that later turns still build on included. An index-only scan
   * of the owner index.
   */
  async ownerCounts(limit: number): Promise<{ owner: string; rows: number }[]> {
    const { db, dialect, table } = this.#c;
    return runStorage("ownerCounts", async () => {
      const p = new SqlParams(dialect);
      const result = await db.queryRaw(
        p.query(
          `SELECT owner_principal, COUNT(*) AS n FROM ${table.name} ` +
            `GROUP BY owner_principal ORDER BY n DESC, owner_principal LIMIT ${limit}`,
        ),
      );
      return result.rows.map((r) => ({ owner: String(r[0]), rows: Number(r[1]) }));
    });
  }
}

/** Stands for the item after a page, which only says that more follow (assemblePage drops it). */
const MORE = { id: "" } as ResponseObject;

/** The bytes of a JSON value as a driver returned it (text, or already parsed). */
function jsonBytes(value: unknown): number {
  return typeof value === "string" ? Buffer.byteLength(value) : Buffer.byteLength(JSON.stringify(value));
}

/**
 * How many of the items (by `weights`, in page order) a page takes: at most `limit`, and none
 * after the one that reaches `maxBytes` in all; at least one.
 */
function withinBudget(weights: readonly number[], limit: number, maxBytes: number): number {
  let total = 0;
  let taken = 0;
  for (const weight of weights) {
    if (taken >= limit || (taken > 0 && total >= maxBytes)) break;
    total += weight;
    taken++;
  }
  return taken;
}
