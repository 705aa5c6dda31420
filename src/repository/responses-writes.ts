/**
 * Writes to the responses table: stores (new turns in one insert, linked turns under their parents' locks) and lifecycle updates.
 *
 * A store that continues a readable parent outside its batch keeps only its own items (the parent
 * share-locked until it commits); one whose parent is in the same batch is stored whole. Turns
 * that build on a row being replaced are first stored whole.
 */
import { asDb, type Queryable, type TransactionalDb } from "../db/client.js";
import { runStorage } from "../db/transient.js";
import {
  AccessDeniedError,
  ResponseIdConflictError,
  ResponseNotFoundError,
  ResponseStateConflictError,
  StorageError,
  type ResponsesStoreError,
} from "../errors.js";
import { ownerKey, writerOf } from "../access/owner.js";
import type { RowCondition } from "../access/where.js";
import { collectUnneeded, detachChildren, lockParent, parentsOf, readStoredParent, walkChains, wholeBlob } from "./chain-sql.js";
import {
  planned,
  plannedOnParentRow,
  plannedOnStored,
  previousOf,
  rewrite,
  rowValues,
  type LinkedRow,
  type PlannedRow,
  type ResponseRow,
  type ResponseWrite,
  type ResponsesContext,
  type StoreWrite,
  type StoredBlob,
  type WriteAccess,
} from "./responses-table.js";
import { SqlParams, truthy } from "./sql.js";
import { FINAL_STATUSES, leavesFinalStatus, statusOf } from "./final-states.js";
import { allStored, updateOnly, upsertGuarded, type UpsertHow } from "./upsert.js";
import { insertContinuing, insertOnParentRow } from "./turn-insert.js";

/**
 * A turn built on a remembered parent (storeTurn) that the parent row no longer matches (another
 * instance changed it, or the id is stored already): the store builds it again from the stored
 * parent, so it never reaches a caller (were it to, it is a retryable StorageError: a retry would
 * do the same).
 */
export class ParentMovedError extends StorageError {
  constructor(id: string) {
    super("storeTurn", true, { cause: new Error(`the parent of ${id} changed since this instance stored it`) });
  }
}

/** The writes of one batch: what failed for a reason of its own, by id. */
type Failures = Map<string, ResponsesStoreError>;

/** Writes of the responses table through one connection. */
export class ResponseWrites {
  readonly #c: ResponsesContext;

  constructor(context: ResponsesContext) {
    this.#c = context;
  }

  /**
   * Applies writes of distinct ids (a queue batch, or one direct call) and returns the writes
   * that failed for a reason of their own, by id; the others are committed. Stores are written
   * together as guarded multi-row upserts; updates one by one, each in its own transaction.
   */
  async write(writes: readonly ResponseWrite[], access: WriteAccess): Promise<Failures> {
    const failed: Failures = new Map();
    const stores = writes.filter((w): w is StoreWrite => w.kind === "store");
    if (stores.length) await runStorage("storeResponseObject", () => this.#store(stores, access, failed));
    for (const w of writes) {
      if (w.kind !== "update") continue;
      const error = await this.#update(w, access(w.writer));
      if (error) failed.set(w.id, error);
    }
    return failed;
  }

  /**
   * New turns that continue nothing go in one statement that replaces nothing (the common
   * case), and so does each new turn continuing a parent this process remembers; ids already
   * stored, and the other turns that continue others, through a transaction that locks what it
   * replaces. Where a transaction costs nothing (SQLite) all run in one, so that concurrent
   * calls cannot land between them.
   */
  async #store(stores: readonly StoreWrite[], access: WriteAccess, failed: Failures): Promise<void> {
    const inBatch = new Set(stores.map((w) => w.id));
    const parentOf = (w: StoreWrite) => {
      const previous = previousOf(w.row.responseObject);
      return previous !== undefined && !inBatch.has(previous) ? previous : undefined;
    };
    const simple = stores.filter((w) => w.mayCreate && parentOf(w) === undefined && !w.appends);
    const { db, dialect } = this.#c;
    if (dialect.exclusiveWrites) {
      // A lone turn on a remembered parent is one statement: it needs no transaction around it.
      const lone =
        stores.length === 1 && !simple.length && (stores[0]!.remembered?.parent !== undefined || stores[0]!.onStoredParent === true);
      const left = lone ? await this.#insertContinuing(db, stores, parentOf, access, failed) : stores;
      if (!left.length) return;
      return db.transaction(async (tx) => {
        const rest = lone
          ? left
          : await this.#insertContinuing(tx, await this.#insertNew(asDb(tx), left, simple, access), parentOf, access, failed);
        await this.#storeLinked(tx, rest, parentOf, access, failed);
      });
    }
    const rest = await this.#insertContinuing(db, await this.#insertNew(db, stores, simple, access), parentOf, access, failed);
    if (!rest.length) return;
    // A COMMIT that may not have applied (Galera, see galera-commits.ts) stands where the rows it
    // inserted are there. A replaced row is not compared: its change is not told from its past.
    let inserted: readonly string[] = [];
    await db.transaction(
      async (tx) => {
        inserted = await this.#storeLinked(tx, rest, parentOf, access, failed);
      },
      { confirm: (q) => allStored(q, dialect, this.#c.table.upsert, inserted) },
    );
  }

  /**
   * Inserts, one statement each, the new turns whose parent this process remembers: planned
   * against what it remembers, and inserted only where the parent row still holds exactly that
   * (turn-insert.ts). Returns the stores still to write; a turn built on its remembered parent
   * (storeTurn) that is not written so fails with a ParentMovedError instead.
   */
  async #insertContinuing(
    q: Queryable,
    stores: readonly StoreWrite[],
    parentOf: (w: StoreWrite) => string | undefined,
    access: WriteAccess,
    failed: Failures,
  ): Promise<StoreWrite[]> {
    const rest: StoreWrite[] = [];
    const { dialect, table } = this.#c;
    for (const w of stores) {
      if (w.onStoredParent) {
        if (!(await this.#insertOnStored(q, w, parentOf(w), access))) failed.set(w.id, new ParentMovedError(w.id));
        continue;
      }
      const parent = w.remembered?.parent;
      const plan =
        w.mayCreate && parent !== undefined && parentOf(w) === parent.id
          ? planned(w.row, parent, table.chains, w.remembered, w.appends)
          : undefined;
      if (plan && plan.chain.parentId !== null && (await insertContinuing(q, dialect, table, plan, parent!, access(writerOf(w.row)).read)))
        this.#remember(w, plan);
      else if (w.appends) failed.set(w.id, new ParentMovedError(w.id));
      else rest.push(w);
    }
    return rest;
  }

  /**
   * Inserts a turn on its parent as the parent row is now (storeTurn on a parent this process
   * does not remember): the row read, the turn planned on it, and inserted only where the row
   * still holds what was read (or, for a parent this process stored so, as it stored it). True
   * when it was inserted. Nothing of the new row is remembered (its history is not in hand): the
   * next turn on it, here or elsewhere, is planned on its row the same way.
   */
  async #insertOnStored(q: Queryable, w: StoreWrite, parentId: string | undefined, access: WriteAccess): Promise<boolean> {
    if (!w.mayCreate || parentId === undefined) return false;
    const { dialect, table } = this.#c;
    const readable = access(writerOf(w.row)).read;
    // One statement where the parent row keeps what a turn inherits (every row this release
    // plans): the insert takes the counts and size from it. Else the row is read first.
    if (await insertOnParentRow(q, dialect, table, plannedOnParentRow(w.row, table.chains), parentId, readable)) return true;
    const parent = await readStoredParent(q, table.chains, parentId, readable);
    // A parent that holds its whole history is read whole instead: the turn on it is then remembered with it.
    if (!parent || parent.whole) return false;
    const plan = plannedOnStored(w.row, parent, table.chains);
    if (!(await insertContinuing(q, dialect, table, plan, { ...parent.facts, fullBytes: parent.fullBytes }, readable))) return false;
    return true;
  }

  /** Remembers a linked turn just planned, for the next turn of its conversation. */
  #remember(w: StoreWrite, plan: LinkedRow): void {
    if (!w.remembered || !plan.continuation) return;
    const { chain } = plan;
    this.#c.remembered.remember(
      { id: w.id, parentId: chain.parentId!, owner: ownerKey(w.row), depth: chain.depth },
      plan.items,
      plan.continuation,
      { history: chain.historyDigest!, messages: chain.messagesDigest },
      w.remembered,
    );
  }

  /**
   * Inserts the `simple` stores (new ids, no parent) in one statement; returns the stores still
   * to write (the rest, and ids found stored).
   */
  async #insertNew(
    db: TransactionalDb,
    stores: readonly StoreWrite[],
    simple: readonly StoreWrite[],
    access: WriteAccess,
  ): Promise<StoreWrite[]> {
    if (!simple.length) return [...stores];
    // Planned as rows stored whole, so their counts are filled (compact has nothing left to do).
    const stored = await this.#upsertMany(
      db,
      simple.map((w) => planned(asCalled(w), undefined, this.#c.table.chains)),
      (row) => access(writerOf(row)).update,
      { insertOnly: true },
    );
    return stores.filter((w) => !simple.includes(w) || stored.has(w.id));
  }

  /**
   * Stores turns that replace a row or continue a parent, in `tx`: the rows being replaced are
   * locked first (a turn being stored on one holds a share lock until it commits, so the
   * children seen next include it) and their children stored whole; each turn is planned
   * against its parent, locked and readable by its writer. Returns the ids it inserted (found
   * unstored under the lock, and written).
   */
  async #storeLinked(
    tx: Queryable,
    rest: readonly StoreWrite[],
    parentOf: (w: StoreWrite) => string | undefined,
    access: WriteAccess,
    failed: Failures,
  ): Promise<string[]> {
    if (!rest.length) return [];
    const { dialect, table, remembered } = this.#c;
    const ids = rest.map((w) => w.id);
    const p = new SqlParams(dialect);
    const locked = await tx.queryRaw(
      p.query(`SELECT id FROM ${table.name} WHERE id IN (${ids.map((id) => p.value(id)).join(", ")})${dialect.lockRow}`),
    );
    const stored = new Set(locked.rows.map((r) => String(r[0])));
    await detachChildren(tx, table.chains, ids, "storeResponseObject");
    const formerParents = await parentsOf(tx, table.chains, ids);
    const rows: LinkedRow[] = [];
    for (const w of rest) {
      const parent = parentOf(w);
      const facts = parent === undefined ? undefined : await lockParent(tx, table.chains, parent, access(writerOf(w.row)).read);
      const plan = planned(w.row, facts, table.chains, w.remembered);
      rows.push(plan);
      // Remembered before the commit: a turn that never lands is still only used against a
      // parent row of the same digest, that is, of the same content.
      this.#remember(w, plan);
    }
    const creating = rows.filter((_, i) => rest[i]!.mayCreate);
    const refused = creating.length
      ? await this.#upsertMany(asDb(tx), creating, (row) => access(writerOf(row)).update, { stored })
      : new Set<string>();
    for (const [i, w] of rest.entries()) {
      if (w.mayCreate) continue;
      const outcome = await updateOnly(tx, dialect, table.upsert, rowValues(rows[i]!), access(writerOf(w.row)).update);
      if (outcome === "refused") refused.add(w.id);
      if (outcome === "absent") failed.set(w.id, new AccessDeniedError("create", w.id));
    }
    if (refused.size) {
      const stores = new Map(rest.map((w) => [w.id, w]));
      for (const [id, error] of await this.#whyRefused(tx, [...refused], (id) => statusOf(stores.get(id)!.row.responseObject)))
        failed.set(id, error);
    }
    for (const id of failed.keys()) remembered.forget(id); // not written: nothing to remember
    // Deleted turns that only the replaced rows (or a refused write's detached turns) needed. A
    // row just written is live, so it is no candidate: in the common case nothing is, and no
    // locking read follows the writes (on Galera, a conflict that aborts one is not always reported).
    const unwritten = ids.filter((id) => refused.has(id) || failed.has(id));
    if (formerParents.length || unwritten.length) await collectUnneeded(tx, table.chains, [...formerParents, ...unwritten]);
    return rest.filter((w) => w.mayCreate && !stored.has(w.id) && !refused.has(w.id) && !failed.has(w.id)).map((w) => w.id);
  }

  /**
   * Why stored rows refused a write: a final status the write would leave (a
   * ResponseStateConflictError), else an owner the writer may not change (a ResponseIdConflictError).
   */
  async #whyRefused(tx: Queryable, ids: readonly string[], proposed: (id: string) => string | null): Promise<Failures> {
    const { dialect, table } = this.#c;
    const p = new SqlParams(dialect);
    const found = await tx.queryRaw(
      p.query(`SELECT id, status, deleted_at FROM ${table.name} WHERE id IN (${ids.map((id) => p.value(id)).join(", ")})`),
    );
    const stored = new Map(found.rows.map((r) => [String(r[0]), r[2] === null && typeof r[1] === "string" ? r[1] : null]));
    const why: Failures = new Map();
    for (const id of ids) {
      const status = stored.get(id) ?? null;
      const next = proposed(id);
      why.set(id, leavesFinalStatus(status, next) ? new ResponseStateConflictError(id, status, next) : new ResponseIdConflictError(id));
    }
    return why;
  }

  /**
   * Writes planned rows (distinct ids), and returns the ids refused because the writer may not
   * update the row already stored under them (those rows are untouched). Rows are grouped by
   * writer, one multi-row statement per group (atomic each; on MySQL one transaction for all).
   */
  async #upsertMany(
    db: TransactionalDb,
    rows: readonly PlannedRow[],
    writableBy: (row: ResponseRow) => RowCondition,
    how: UpsertHow = {},
  ): Promise<Set<string>> {
    const groups = new Map<string, { rows: unknown[][]; writable: RowCondition }>();
    for (const plannedRow of rows) {
      const row = plannedRow.row;
      const key = ownerKey(row);
      const group = groups.get(key);
      if (group) group.rows.push(rowValues(plannedRow));
      else groups.set(key, { rows: [rowValues(plannedRow)], writable: writableBy(row) });
    }
    const { dialect, table } = this.#c;
    return upsertGuarded(db, dialect, table.upsert, [...groups.values()], how);
  }

  /**
   * A lifecycle update, read-modify-write under a row lock; the error that refused it, if any.
   * The turn is rebuilt whole, changed, and planned again against its parent.
   */
  async #update(
    w: Extract<ResponseWrite, { kind: "update" }>,
    access: { read: RowCondition; update: RowCondition },
  ): Promise<ResponsesStoreError | undefined> {
    const { db, dialect, table, remembered } = this.#c;
    const T = table.name;
    const attempt = runStorage("updateResponseObject", () =>
      db.transaction(async (tx) => {
        const p = new SqlParams(dialect);
        const found = await tx.queryRaw(
          p.query(
            `SELECT status, (${p.condition(access.update, T)}) AS ok FROM ${T} ` +
              `WHERE id = ${p.value(w.id)} AND ${p.live(access.read, T)}${dialect.lockRow}`,
          ),
        );
        const row = found.rows[0];
        if (!row) return new ResponseNotFoundError(w.id);
        if (!truthy(row[1])) return new AccessDeniedError("update", w.id);
        const storedStatus = typeof row[0] === "string" ? row[0] : null;
        if (!w.cancel && leavesFinalStatus(storedStatus, statusOf(w.response)))
          return new ResponseStateConflictError(w.id, storedStatus, statusOf(w.response));
        remembered.forget(w.id); // what it remembers is about to change
        await detachChildren(tx, table.chains, [w.id], "updateResponseObject");
        const formerParents = await parentsOf(tx, table.chains, [w.id]);
        const chain = await walkChains(tx, table.chains, [w.id], { kind: "all" });
        const stored = wholeBlob(chain.get(w.id)!, chain, "updateResponseObject") as StoredBlob;
        let blob: StoredBlob;
        if (w.cancel) {
          const outcome = cancelled(w.id, stored);
          if (outcome instanceof ResponseStateConflictError) return outcome;
          if (outcome === undefined) return undefined; // cancelled already: answered as it is
          blob = outcome;
        } else {
          blob = {
            ...w.response,
            input: w.input ?? stored.input ?? [],
            ...(stored.messages === undefined ? {} : { messages: stored.messages }),
          };
        }
        const previous = previousOf(blob);
        const parent = previous === undefined || previous === w.id ? undefined : await lockParent(tx, table.chains, previous, access.read);
        const [createdAt, model] = w.cancel ? [Number(stored.created_at), String(stored.model)] : [w.createdAt, w.model];
        const plan = planned(
          { id: w.id, createdAt, model, responseObject: blob, ownerPrincipal: "", accessAttributes: null },
          parent,
          table.chains,
        );
        // Conditional as well: under the lock it holds already, but the statement itself refuses
        // to move a final status, whatever read it.
        if ((await tx.executeRaw(rewrite(dialect, table, plan, true))) === 0)
          throw new ResponseStateConflictError(w.id, storedStatus, statusOf(blob));
        await collectUnneeded(tx, table.chains, formerParents);
        return undefined;
      }),
    );
    // A refusal the statement itself found is thrown to roll its transaction back; it is still this write's own.
    return attempt.catch((error: unknown) => {
      if (error instanceof ResponseStateConflictError) return error;
      throw error;
    });
  }
}

/**
 * What a cancel makes of the stored response: it with status `cancelled`; undefined when it is
 * cancelled already; a ResponseStateConflictError when it is not a background response or has ended.
 */
function cancelled(id: string, stored: StoredBlob): StoredBlob | ResponseStateConflictError | undefined {
  const status = typeof stored.status === "string" ? stored.status : null;
  if (stored.background !== true) return new ResponseStateConflictError(id, null);
  if (status === "cancelled") return undefined;
  if (status !== null && FINAL_STATUSES.has(status)) return new ResponseStateConflictError(id, status);
  return { ...stored, status: "cancelled" };
}

/**
 * The row of a store as its caller gave it at the call: the items a remembered turn matched (the
 * caller keeps those objects, and may change them after the call) from the remembered copies.
 */
function asCalled(w: StoreWrite): ResponseRow {
  const { input: inputPrefix, messages: messagesPrefix } = w.remembered ?? {};
  if (!inputPrefix && !messagesPrefix) return w.row;
  const blob = w.row.responseObject;
  const restored = (list: unknown[], prefix: typeof inputPrefix) =>
    prefix ? [...prefix.copies(0, prefix.count), ...list.slice(prefix.count)] : list;
  const responseObject: StoredBlob = { ...blob, input: restored(blob.input ?? [], inputPrefix) };
  if (Array.isArray(blob.messages)) responseObject.messages = restored(blob.messages, messagesPrefix);
  return { ...w.row, responseObject };
}
