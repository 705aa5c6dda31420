/**
 * The only code that queries the `openai_responses` table. Each method is one logical operation
 * with access already decided (a RowCondition), written as parameterised SQL for the dialect and
 * run through Prisma's driver adapter. Every backend error is wrapped once, by `run()`, into a
 * StorageError; our own errors pass through untouched.
 */
import type { Db, Queryable } from "../db/client.js";
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
import { ownerKey, writerOf } from "../access/owner.js";
import type { RowCondition } from "../access/where.js";
import type { User } from "../schemas/params.js";
import { planTurn, rebuildInput, type ChainColumns, type ChainRow, type DigestMode, type ParentFacts, type PlannedHistory, type TurnItems } from "./chain.js";
import { collectUnneeded, deleteTurns, detachChildren, lockParent, parentsOf, walkChains, wholeBlob, type ChainTable } from "./chain-sql.js";
import type { KnownTurns, MatchedPrefix } from "./known-turns.js";
import { assemblePage, type ListPage, type Order } from "./keyset.js";
import { SqlParams, fromJson, intOrNull, textOrNull, truthy } from "./sql.js";
import { insertValues, updateOnly, upsertGuarded, within, type UpsertTable } from "./upsert.js";

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

/** Items `from` to the end of a response's whole input, which holds `count` items. */
export interface InputWindow {
  items: unknown[];
  from: number;
  count: number;
  /** Whether no item id repeats in the whole input (null: not known). */
  unique: boolean | null;
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

const BASE_COLUMNS = [
  ["id", "string"],
  ["created_at", "bigint"],
  ["response_object", "json"],
  ["model", "string"],
  ["owner_principal", "string"],
  ["access_attributes", "json"],
] as const;

/**
 * The responses table as the guarded upsert writes it: with every column, or (`whole`, for
 * inserts only) the columns of a row stored whole that nothing has examined yet: the common
 * store's statement, as small as before linear storage (a statement's size costs on every
 * server connection that prepared it).
 */
function responsesTable(name: string, whole = false): UpsertTable {
  if (whole) return { name, columns: BASE_COLUMNS, replace: [] };
  // A stored id written again is live again (a deleted turn's id may be reused).
  return { name, columns: [...BASE_COLUMNS, ...CHAIN_COLUMNS], replace: ["response_object", "created_at", "model", ...CHAIN_COLUMNS.map(([column]) => column)] };
}

/** The linear-storage columns, in the order chainValues() gives them. */
const CHAIN_COLUMNS = [
  ["parent_id", "string"],
  ["depth", "int"],
  ["input_start", "int"],
  ["input_count", "int"],
  ["output_count", "int"],
  ["messages_start", "int"],
  ["messages_count", "int"],
  ["history_digest", "string"],
  ["messages_digest", "string"],
  ["input_ids_unique", "boolean"],
  ["full_bytes", "bigint"],
  ["deleted_at", "bigint"],
] as const;

/** A row's chain columns in CHAIN_COLUMNS order. */
function chainValues(c: ChainColumns): unknown[] {
  return [
    c.parentId,
    c.depth,
    c.inputStart,
    c.inputCount,
    c.outputCount,
    c.messagesStart,
    c.messagesCount,
    c.historyDigest,
    c.messagesDigest,
    c.inputIdsUnique,
    String(c.fullBytes),
    null,
  ];
}

/** A row as written: the stored JSON (own items only, for a turn that continues its parent) and its chain columns. */
interface PlannedRow {
  row: ResponseRow;
  json: string;
  chain: ChainColumns | null;
}

/** A row's values in the upsert's column order (of the whole-row table when it is not planned). */
function rowValues({ row: r, json, chain }: PlannedRow): unknown[] {
  const base = [r.id, String(r.createdAt), json, r.model, r.ownerPrincipal, r.accessAttributes === null ? null : JSON.stringify(r.accessAttributes)];
  return chain ? [...base, ...chainValues(chain)] : base;
}

/**
 * A row stored whole, not examined for linear storage yet (its chain columns unknown): a store
 * that continues nothing, and imports. `compact` examines such rows later; a turn continuing
 * one reads its counts and digests from its JSON.
 */
function unplanned(row: ResponseRow): PlannedRow {
  return { row, json: JSON.stringify(row.responseObject), chain: null };
}

/** The id of the response a blob continues, if any. */
function previousOf(blob: StoredBlob): string | undefined {
  const previous = blob.previous_response_id;
  return typeof previous === "string" && previous ? previous : undefined;
}

/**
 * The row as stored under linear storage: against `parent` (locked, readable by the writer),
 * only the items the parent does not hold.
 */
function planned(row: ResponseRow, parent: ParentFacts | undefined, mode: DigestMode, known?: MatchedPrefix): PlannedRow & { chain: ChainColumns; next: PlannedHistory | undefined; items: TurnItems } {
  const { input, messages, ...rest } = row.responseObject;
  const items = { input: input ?? [], output: (rest.output as unknown[] | undefined) ?? [], messages };
  const plan = planTurn(items, parent, JSON.stringify(rest), mode, { input: known?.input, messages: known?.messages });
  return { row, json: plan.json, chain: plan.columns, next: plan.next, items };
}

/**
 * One write to the responses table, as the store and its queue carry it:
 * - `store`: insert, or replace an existing row the writer may update. `mayCreate` is false when
 *   the policy does not let the writer create, so only an existing row may be replaced.
 * - `update`: a lifecycle update of an existing row: the response replaced, the stored input
 *   kept unless `input` is given, the stored messages always kept, the owner never changed.
 */
export type ResponseWrite =
  | {
      kind: "store";
      id: string;
      row: ResponseRow;
      mayCreate: boolean;
      /**
       * Set by the store, which validated the row's items: what they start with of a turn it
       * remembers. A linked turn written with it is remembered in turn.
       */
      known?: MatchedPrefix;
    }
  | { kind: "update"; id: string; response: StoredBlob; input: unknown[] | undefined; createdAt: number; model: string; writer: User | null };

/** The rows a write's writer may read and update, as conditions. */
export type WriteAccess = (writer: User | null) => { read: RowCondition; update: RowCondition };

/** Queries on the responses table through one connection. */
export class ResponsesRepository {
  readonly #table: UpsertTable;
  readonly #wholeTable: UpsertTable;
  readonly #chains: ChainTable;
  readonly #digests: DigestMode;
  readonly #known: KnownTurns | undefined;
  private readonly TABLE: string;
  /**
   * `digests`: how this database's digests are taken (digestMode()); text unless the server
   * reorders JSON. `known`: the store's remembered turns, consulted and fed by its stores.
   */
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    table = "openai_responses",
    digests: DigestMode = "text",
    known?: KnownTurns,
  ) {
    this.#known = known;
    this.#table = responsesTable(table);
    this.#wholeTable = responsesTable(table, true);
    this.#chains = { dialect, name: table, digests };
    this.#digests = digests;
    this.TABLE = table;
  }

  /**
   * Inserts the row, or replaces the stored response of an existing row the writer may change
   * (`writable`). Ownership never changes. An id held by a row outside `writable` is refused
   * with ResponseIdConflictError and left untouched.
   */
  async upsert(row: ResponseRow, writable: RowCondition): Promise<void> {
    const failed = await this.write([{ kind: "store", id: row.id, row, mayCreate: true }], () => ({ read: writable, update: writable }));
    const error = failed.get(row.id);
    if (error) throw error;
  }

  /**
   * Writes planned rows (distinct ids), and returns the ids refused because the writer may not
   * update the row already stored under them (those rows are untouched). Rows are grouped by
   * writer, one multi-row statement per group (atomic each; on MySQL one transaction for all).
   */
  async #upsertMany(
    db: Pick<Db, "queryRaw" | "executeRaw" | "transaction">,
    rows: readonly PlannedRow[],
    writableBy: (row: ResponseRow) => RowCondition,
    insertOnly = false,
  ): Promise<Set<string>> {
    const groups = new Map<string, { rows: unknown[][]; writable: RowCondition }>();
    for (const planned of rows) {
      const row = planned.row;
      const key = ownerKey(row);
      const group = groups.get(key);
      if (group) group.rows.push(rowValues(planned));
      else groups.set(key, { rows: [rowValues(planned)], writable: writableBy(row) });
    }
    return upsertGuarded(db, this.dialect, insertOnly ? this.#wholeTable : this.#table, [...groups.values()], insertOnly);
  }

  /**
   * Applies writes of distinct ids (a queue batch, or one direct call) and returns the writes
   * that failed for a reason of their own, by id; the others are committed. Stores are written
   * together as guarded multi-row upserts; updates one by one, each in its own transaction.
   *
   * A store that continues a readable parent outside the batch keeps only its own items (the
   * parent share-locked until it commits); one whose parent is in the same batch is stored
   * whole. Turns that build on a row being replaced are first stored whole.
   */
  async write(writes: readonly ResponseWrite[], access: WriteAccess): Promise<Map<string, ResponsesStoreError>> {
    const failed = new Map<string, ResponsesStoreError>();
    const stores = writes.filter((w): w is Extract<ResponseWrite, { kind: "store" }> => w.kind === "store");
    if (stores.length) await this.run("storeResponseObject", () => this.#stores(stores, access, failed));
    for (const w of writes) {
      if (w.kind !== "update") continue;
      const error = await this.#update(w, access(w.writer));
      if (error) failed.set(w.id, error);
    }
    return failed;
  }

  async #stores(stores: readonly Extract<ResponseWrite, { kind: "store" }>[], access: WriteAccess, failed: Map<string, ResponsesStoreError>): Promise<void> {
    const inBatch = new Set(stores.map((w) => w.id));
    const parentOf = (w: (typeof stores)[number]) => {
      const previous = previousOf(w.row.responseObject);
      return previous !== undefined && !inBatch.has(previous) ? previous : undefined;
    };
    // The common case first: new turns that continue nothing, inserted in one statement that
    // replaces nothing. Ids already stored (and turns that continue others) go through a
    // transaction that locks what it replaces. Where a transaction costs nothing (SQLite), both
    // run in one, so that concurrent calls cannot land between them.
    const simple = stores.filter((w) => w.mayCreate && parentOf(w) === undefined);
    const insert = async (db: Pick<Db, "queryRaw" | "executeRaw" | "transaction">) => {
      if (!simple.length) return stores;
      const stored = await this.#upsertMany(db, simple.map((w) => unplanned(w.row)), (row) => access(writerOf(row)).update, true);
      return stores.filter((w) => !simple.includes(w) || stored.has(w.id));
    };
    const chained = async (tx: Queryable, rest: typeof stores) => {
      if (!rest.length) return;
      const ids = rest.map((w) => w.id);
      // Lock the rows being replaced first: a turn being stored on one of them holds a share
      // lock until it commits, so the children seen next include it.
      const l = new SqlParams(this.dialect);
      await tx.queryRaw(l.query(`SELECT id FROM ${this.TABLE} WHERE id IN (${ids.map((id) => l.value(id)).join(", ")})${this.dialect.lockRow}`));
      await detachChildren(tx, this.#chains, ids, "storeResponseObject");
      const formerParents = await parentsOf(tx, this.#chains, ids);
      const rows: PlannedRow[] = [];
      for (const w of rest) {
        const parent = parentOf(w);
        const plan = planned(w.row, parent === undefined ? undefined : await lockParent(tx, this.#chains, parent, access(writerOf(w.row)).read), this.#digests, w.known);
        rows.push(plan);
        // Remembered before the commit: a turn that never lands is still only used against a
        // parent row of the same digest, that is, of the same content.
        if (w.known && plan.next) {
          const { chain } = plan;
          this.#known?.remember({ id: w.id, parentId: chain.parentId!, owner: ownerKey(w.row) }, plan.items, plan.next, { history: chain.historyDigest!, messages: chain.messagesDigest }, w.known);
        }
      }
      const creating = rows.filter((_, i) => rest[i]!.mayCreate);
      if (creating.length) {
        for (const id of await this.#upsertMany(within(tx), creating, (row) => access(writerOf(row)).update)) failed.set(id, new ResponseIdConflictError(id));
      }
      for (const [i, w] of rest.entries()) {
        if (w.mayCreate) continue;
        const outcome = await updateOnly(tx, this.dialect, this.#table, rowValues(rows[i]!), access(writerOf(w.row)).update);
        if (outcome === "refused") failed.set(w.id, new ResponseIdConflictError(w.id));
        if (outcome === "absent") failed.set(w.id, new AccessDeniedError("create", w.id));
      }
      for (const id of failed.keys()) this.#known?.forget(id); // not written: nothing to remember
      // Deleted turns that only the replaced rows (or a refused write's detached turns) needed.
      await collectUnneeded(tx, this.#chains, [...formerParents, ...ids]);
    };
    if (this.dialect.exclusiveWrites) return this.db.transaction(async (tx) => chained(tx, await insert(within(tx))));
    const rest = await insert(this.db);
    if (rest.length) await this.db.transaction((tx) => chained(tx, rest));
  }

  /**
   * A lifecycle update, read-modify-write under a row lock; the error that refused it, if any.
   * The turn is rebuilt whole, changed, and planned again against its parent.
   */
  async #update(w: Extract<ResponseWrite, { kind: "update" }>, access: { read: RowCondition; update: RowCondition }): Promise<ResponsesStoreError | undefined> {
    return this.run("updateResponseObject", () =>
      this.db.transaction(async (tx) => {
        const c = new SqlParams(this.dialect);
        const found = await tx.queryRaw(
          c.query(
            `SELECT owner_principal, (${c.condition(access.update, this.TABLE)}) AS ok FROM ${this.TABLE} ` +
              `WHERE id = ${c.value(w.id)} AND ${c.condition(access.read, this.TABLE)} AND ${this.TABLE}.deleted_at IS NULL${this.dialect.lockRow}`,
          ),
        );
        const row = found.rows[0];
        if (!row) return new ResponseNotFoundError(w.id);
        if (!truthy(row[1])) return new AccessDeniedError("update", w.id);
        this.#known?.forget(w.id); // what it remembers is about to change
        await detachChildren(tx, this.#chains, [w.id], "updateResponseObject");
        const formerParents = await parentsOf(tx, this.#chains, [w.id]);
        const chain = await walkChains(tx, this.#chains, [w.id], { kind: "all" });
        const stored = wholeBlob(chain.get(w.id)!, chain, "updateResponseObject") as StoredBlob;
        const blob = { ...w.response, input: w.input ?? stored.input ?? [], ...(stored.messages === undefined ? {} : { messages: stored.messages }) } as StoredBlob;
        const previous = previousOf(blob);
        const parent = previous === undefined || previous === w.id ? undefined : await lockParent(tx, this.#chains, previous, access.read);
        const plan = planned({ id: w.id, createdAt: w.createdAt, model: w.model, responseObject: blob, ownerPrincipal: "", accessAttributes: null }, parent, this.#digests);
        await tx.executeRaw(this.#rewrite(plan, true));
        await collectUnneeded(tx, this.#chains, formerParents);
        return undefined;
      }),
    );
  }

  /** UPDATE of a row's stored JSON and chain columns (and its created_at and model, with `all`). */
  #rewrite({ row, json, chain }: PlannedRow & { chain: ChainColumns }, all: boolean) {
    const p = new SqlParams(this.dialect);
    const values = chainValues(chain);
    // Placeholders in text order: MySQL and SQLite number them by position.
    const sets = [`response_object = ${p.value(json, "json")}`, ...CHAIN_COLUMNS.map(([name, type], i) => `${name} = ${p.value(values[i], type)}`)];
    if (all) sets.push(`created_at = ${p.value(String(row.createdAt), "bigint")}`, `model = ${p.value(row.model)}`);
    return p.query(`UPDATE ${this.TABLE} SET ${sets.join(", ")} WHERE id = ${p.value(row.id)}`);
  }

  /**
   * How many rows each owner holds, most first (`""` for rows stored without a user), at most
   * `limit` owners, deleted turns that later turns still build on included. An index-only scan
   * of the owner index.
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

  /**
   * SELECT of `columns` of the row `id` when it is visible and not deleted; where the dialect
   * says so (`fenceKeyLookups`), the row is found by its primary key alone and the rest checked
   * on it.
   */
  #visibleById(p: SqlParams, id: string, visible: RowCondition, columns: readonly string[]): string {
    const T = this.TABLE;
    if (!this.dialect.fenceKeyLookups) {
      return `SELECT ${columns.join(", ")} FROM ${T} WHERE id = ${p.value(id)} AND ${p.condition(visible, T)} AND ${T}.deleted_at IS NULL`;
    }
    const wanted = [...new Set([...columns, "owner_principal", "access_attributes", "deleted_at", "id"])];
    return (
      `SELECT ${columns.map((c) => `r.${c}`).join(", ")} FROM (SELECT ${wanted.join(", ")} FROM ${T} WHERE id = ${p.value(id)} LIMIT 1) AS r ` +
      `WHERE ${p.condition(visible, "r")} AND r.deleted_at IS NULL`
    );
  }

  /** The blob of a visible row, with its whole input and messages; undefined when none. */
  async find(id: string, visible: RowCondition): Promise<StoredBlob | undefined> {
    return this.run("getResponseObject", async () => {
      // The row first (most are stored whole: one plain read), then its ancestors if it has any.
      const p = new SqlParams(this.dialect);
      const columns = ["response_object", "parent_id", "input_start", "messages_start", ...(this.#known ? ["history_digest", "messages_digest"] : [])];
      const found = await this.db.queryRaw(p.query(this.#visibleById(p, id, visible, columns)));
      const r = found.rows[0];
      if (!r) return undefined;
      const row: ChainRow = { id, parentId: textOrNull(r[1]), inputStart: Number(r[2]), messagesStart: Number(r[3]), blob: fromJson(r[0]) as StoredBlob };
      if (row.parentId === null || (row.inputStart === 0 && row.messagesStart === 0)) return row.blob as StoredBlob;
      // A turn this store remembers, whose digests say the row holds what it remembers.
      const known = this.#known?.read(id, textOrNull(r[4]), textOrNull(r[5]));
      if (known) return { ...row.blob, input: known.input, ...(known.messages === undefined ? {} : { messages: known.messages }) } as StoredBlob;
      const rows = await walkChains(this.db, this.#chains, [row.parentId], { kind: "all" });
      return wholeBlob(row, rows, "getResponseObject") as StoredBlob;
    });
  }

  /**
   * A stretch of a visible row's whole input: the items from position `from(count, unique)` on
   * (reading only the turns that hold them), where `count` is the number of items in all and
   * `unique` whether no item id repeats among them (null when unknown). Undefined when there
   * is no such row.
   */
  async inputFrom(id: string, visible: RowCondition, from: (count: number | null, unique: boolean | null) => number): Promise<InputWindow | undefined> {
    return this.run("listResponseInputItems", async () => {
      const p = new SqlParams(this.dialect);
      const facts = await this.db.queryRaw(p.query(this.#visibleById(p, id, visible, ["input_count", "input_ids_unique", ...(this.#known ? ["history_digest"] : [])])));
      const f = facts.rows[0];
      if (!f) return undefined;
      const unique = f[1] === null || f[1] === undefined ? null : truthy(f[1]);
      const total = intOrNull(f[0]);
      const start = Math.max(0, from(total, unique));
      if (total !== null) {
        // A turn this store remembers, whose digest says the row holds what it remembers.
        const known = this.#known?.inputFrom(id, textOrNull(f[2]), Math.min(start, total));
        if (known) return { items: known, from: Math.min(start, total), count: total, unique };
      }
      const rows = await walkChains(this.db, this.#chains, [id], { kind: "input", above: start }, visible);
      const leaf = rows.get(id);
      if (!leaf) return undefined; // deleted meanwhile
      const count = leaf.inputStart + (leaf.blob.input?.length ?? 0);
      return { items: rebuildInput(leaf, rows, "listResponseInputItems", Math.min(start, count)), from: Math.min(start, count), count, unique };
    });
  }

  /**
   * Deletes a visible row; false when there was none. A turn later turns build on is only
   * marked deleted (nobody sees it again) and goes with the last of them.
   */
  async delete(id: string, visible: RowCondition): Promise<boolean> {
    this.#known?.forget(id);
    return this.run("deleteResponseObject", () =>
      this.db.transaction(async (tx) => (await deleteTurns(tx, this.#chains, [id], nowSeconds(), (p) => p.condition(visible, this.TABLE))).length > 0),
    );
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
          c.query(this.#visibleById(c, query.after, visible, ["created_at"])),
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
        const where: string[] = [`${this.TABLE}.deleted_at IS NULL`];
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
          `SELECT * FROM (SELECT response_object, created_at, id, parent_id, input_start FROM ${this.TABLE} WHERE ` +
          `${[`${this.TABLE}.owner_principal = ${p.value(owner)}`, ...rest()].join(" AND ")} ${orderBy} LIMIT ${query.limit + 1}) AS o${p.count}`;
        sql = `SELECT ${blob("visible_rows.response_object")}, visible_rows.id, visible_rows.parent_id, visible_rows.input_start FROM (${owners.map(branch).join(" UNION ALL ")}) AS visible_rows ${orderBy} LIMIT ${query.limit + 1}`;
      } else {
        sql =
          `SELECT ${blob(`${this.TABLE}.response_object`)}, ${this.TABLE}.id, ${this.TABLE}.parent_id, ${this.TABLE}.input_start FROM ${this.TABLE} WHERE ${[p.condition(visible, this.TABLE), ...rest()].join(" AND ")} ` +
          `${orderBy} LIMIT ${query.limit + 1}`;
      }
      const result = await this.db.queryRaw(p.query(sql));
      const rows: ChainRow[] = result.rows.map((r) => ({
        id: String(r[1]),
        parentId: textOrNull(r[2]),
        inputStart: Number(r[3]),
        messagesStart: 0,
        blob: fromJson(r[0]) as StoredBlob,
      }));
      let blobs = rows.map((r) => r.blob as StoredBlob);
      if (query.includeInput) {
        // Every continued turn's input from one walk over all their chains.
        const continued = rows.filter((r) => r.inputStart > 0);
        const parents = await walkChains(this.db, this.#chains, [...new Set(continued.map((r) => r.parentId!))], { kind: "input", above: 0 });
        blobs = rows.map((r) => (r.inputStart > 0 ? ({ ...r.blob, input: rebuildInput(r, parents, "listResponses") } as StoredBlob) : (r.blob as StoredBlob)));
      }
      return assemblePage(blobs, query.limit, (blob) => blob.id);
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
    const olderAndDeletable = (p: SqlParams) =>
      `${this.TABLE}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.condition(deletable, this.TABLE)} AND ${this.TABLE}.deleted_at IS NULL`;
    for (;;) {
      const ids = await this.run("pruneResponses", async () => {
        const p = new SqlParams(this.dialect);
        const rows = await this.db.queryRaw(p.query(`SELECT id FROM ${this.TABLE} WHERE ${olderAndDeletable(p)} ORDER BY created_at ASC, id ASC LIMIT ${batchSize}`));
        return rows.rows.map((r) => String(r[0]));
      });
      if (!ids.length) return deleted;
      deleted += await this.run("pruneResponses", () =>
        this.db.transaction(async (tx) => (await deleteTurns(tx, this.#chains, ids, nowSeconds(), olderAndDeletable)).length),
      );
      onBatch?.(deleted, Math.max(total, deleted));
      if (ids.length < batchSize) return deleted;
    }
  }

  /**
   * Per model, of the rows `visible` allows: the responses (deleted turns left out), the bytes
   * reads of them return, the bytes stored (turns that continue others keep only their own
   * items; deleted turns later turns build on are kept), and how many deleted turns are kept.
   */
  async storageStats(visible: RowCondition): Promise<{ model: string; rows: number; bytes: number; storedBytes: number; retained: number }[]> {
    return this.run("storageStats", async () => {
      const p = new SqlParams(this.dialect);
      const T = this.TABLE;
      const stored = this.dialect.byteLength(`${T}.response_object`);
      const live = `${T}.deleted_at IS NULL`;
      const result = await this.db.queryRaw(
        p.query(
          `SELECT model, SUM(CASE WHEN ${live} THEN 1 ELSE 0 END), SUM(CASE WHEN ${live} THEN COALESCE(${T}.full_bytes, ${stored}) ELSE 0 END), ` +
            `SUM(${stored}), SUM(CASE WHEN ${live} THEN 0 ELSE 1 END) FROM ${T} WHERE ${p.condition(visible, T)} GROUP BY model ORDER BY model`,
        ),
      );
      return result.rows.map((r) => ({ model: String(r[0]), rows: Number(r[1] ?? 0), bytes: Number(r[2] ?? 0), storedBytes: Number(r[3] ?? 0), retained: Number(r[4] ?? 0) }));
    });
  }

  /**
   * Examines the rows stored whole that nothing has examined yet (their chain columns
   * unknown: an earlier release's rows, stores that continued nothing), oldest first,
   * `batchSize` rows per round, each row in its own transaction: a row that continues a parent
   * its owner may read, and whose history matches, keeps only its own items; the others get
   * their counts. Only the rows among `only`, when given. `onBatch` hears the running count and how
   * many rows were left at the start. Resumable: what is done is never done again.
   * Returns how many rows it rewrote and how many of those now continue a parent.
   */
  async compact(
    batchSize: number,
    readableBy: (writer: User | null) => RowCondition,
    onBatch?: (done: number, total: number) => void,
    only?: readonly string[],
  ): Promise<{ compacted: number; linked: number }> {
    const T = this.TABLE;
    const among = (p: SqlParams) => (only ? ` AND ${T}.id IN (${only.map((id) => p.value(id)).join(", ")})` : "");
    if (only && !only.length) return { compacted: 0, linked: 0 };
    const total = await this.run("compactResponses", async () => {
      const p = new SqlParams(this.dialect);
      const found = await this.db.queryRaw(p.query(`SELECT COUNT(*) FROM ${T} WHERE ${T}.input_count IS NULL${among(p)}`));
      return Number(found.rows[0]?.[0] ?? 0);
    });
    let compacted = 0;
    let linked = 0;
    let after: { createdAt: string; id: string } | undefined; // keyset: each round starts where the last ended
    for (;;) {
      const found = await this.run("compactResponses", async () => {
        const p = new SqlParams(this.dialect);
        const beyond = after
          ? ` AND (${T}.created_at > ${p.value(after.createdAt, "bigint")} OR (${T}.created_at = ${p.value(after.createdAt, "bigint")} AND ${T}.id > ${p.value(after.id)}))`
          : "";
        const rows = await this.db.queryRaw(
          p.query(`SELECT id, created_at FROM ${T} WHERE ${T}.input_count IS NULL${among(p)}${beyond} ORDER BY created_at ASC, id ASC LIMIT ${batchSize}`),
        );
        return rows.rows.map((r) => ({ id: String(r[0]), createdAt: String(r[1]) }));
      });
      after = found.at(-1);
      const ids = found.map((r) => r.id);
      for (const id of ids) {
        const outcome = await this.run("compactResponses", () => this.db.transaction((tx) => this.#compactRow(tx, id, readableBy)));
        if (outcome) compacted++;
        if (outcome === "linked") linked++;
      }
      if (ids.length) onBatch?.(compacted, Math.max(total, compacted));
      if (ids.length < batchSize) return { compacted, linked };
    }
  }

  /** Plans one row stored whole and rewrites it; undefined when someone else did it first. */
  async #compactRow(tx: Queryable, id: string, readableBy: (writer: User | null) => RowCondition): Promise<"linked" | "whole" | undefined> {
    const T = this.TABLE;
    const p = new SqlParams(this.dialect);
    const found = await tx.queryRaw(
      p.query(`SELECT response_object, owner_principal, access_attributes, created_at, model FROM ${T} WHERE id = ${p.value(id)} AND ${T}.input_count IS NULL${this.dialect.lockRow}`),
    );
    const r = found.rows[0];
    if (!r) return undefined;
    const blob = fromJson(r[0]) as StoredBlob;
    const row: ResponseRow = {
      id,
      createdAt: Number(r[3]),
      model: String(r[4]),
      responseObject: blob,
      ownerPrincipal: String(r[1]),
      accessAttributes: r[2] === null || r[2] === undefined ? null : (fromJson(r[2]) as Record<string, string[]>),
    };
    const previous = previousOf(blob);
    const parent = previous === undefined || previous === id ? undefined : await lockParent(tx, this.#chains, previous, readableBy(writerOf(row)));
    const plan = planned(row, parent, this.#digests);
    await tx.executeRaw(this.#rewrite(plan, false));
    return plan.chain?.parentId ? "linked" : "whole";
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
          await this.db.executeRaw(p.query(insertValues(p, this.#wholeTable, absent.map((r) => rowValues(unplanned(r))))));
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

/** Now, in unix seconds (when a turn was marked deleted). */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
