/**
 * Operator jobs on the responses table: retention (prune), compaction into linear storage, and imports.
 *
 * Each works in bounded batches, oldest first, and is resumable: an interrupted run leaves every
 * row whole and readable, and the next run goes on.
 */
import type { Queryable } from "../db/client.js";
import { isUniqueViolation, runStorage } from "../db/transient.js";
import { writerOf } from "../access/owner.js";
import type { RowCondition } from "../access/where.js";
import type { User } from "../schemas/params.js";
import { deleteTurns, lockParent } from "./chain-sql.js";
import { afterCursor, type Cursor } from "./keyset.js";
import {
  nowSeconds,
  planned,
  previousOf,
  rewrite,
  rowValues,
  unplanned,
  type ResponseRow,
  type ResponsesContext,
  type StoredBlob,
} from "./responses-table.js";
import { inBatches, type Batch } from "./batches.js";
import { SqlParams, fromJson, statement } from "./sql.js";
import { insertValues } from "./upsert.js";

/** Prune, compact and import on the responses table through one connection. */
export class ResponsesMaintenance {
  readonly #c: ResponsesContext;

  constructor(context: ResponsesContext) {
    this.#c = context;
  }

  /** How many live rows created before `createdBefore` (unix seconds) `deletable` allows: what a prune would delete. */
  async countPrunable(createdBefore: number, deletable: RowCondition): Promise<number> {
    const { db, dialect, table } = this.#c;
    return runStorage("pruneResponses", async () => {
      const p = new SqlParams(dialect);
      const rows = await db.queryRaw(p.query(`SELECT COUNT(*) FROM ${table.name} WHERE ${this.#prunable(p, createdBefore, deletable)}`));
      return Number(rows.rows[0]?.[0] ?? 0);
    });
  }

  /**
   * Deletes, oldest first and at most `batchSize` at a time, the live rows created before
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
    // The count matches what the loop deletes: live rows (deleted turns kept for their children are not counted).
    const total = onBatch ? await this.countPrunable(createdBefore, deletable) : 0;
    return inBatches(
      batchSize,
      () => this.pruneBatch(createdBefore, deletable, batchSize),
      (deleted) => onBatch?.(deleted, Math.max(total, deleted)),
    );
  }

  /**
   * One round of a prune, in its own short transaction: the oldest `batchSize` matching rows
   * deleted. Says how many it found and deleted (fewer found than `batchSize`: none is left).
   */
  async pruneBatch(createdBefore: number, deletable: RowCondition, batchSize: number): Promise<Batch> {
    const { db, dialect, table } = this.#c;
    const ids = await runStorage("pruneResponses", async () => {
      const p = new SqlParams(dialect);
      const rows = await db.queryRaw(
        p.query(
          `SELECT id FROM ${table.name} WHERE ${this.#prunable(p, createdBefore, deletable)} ORDER BY created_at ASC, id ASC LIMIT ${batchSize}`,
        ),
      );
      return rows.rows.map((r) => String(r[0]));
    });
    if (!ids.length) return { found: 0, deleted: 0 };
    const deleted = await runStorage("pruneResponses", () =>
      db.transaction(
        async (tx) => (await deleteTurns(tx, table.chains, ids, nowSeconds(), (p) => this.#prunable(p, createdBefore, deletable))).length,
      ),
    );
    return { found: ids.length, deleted };
  }

  /** Live rows created before `createdBefore` that `deletable` allows, as SQL. */
  #prunable(p: SqlParams, createdBefore: number, deletable: RowCondition): string {
    const T = this.#c.table.name;
    return `${T}.created_at < ${p.value(String(createdBefore), "bigint")} AND ${p.live(deletable, T)}`;
  }

  /**
   * Examines the rows stored whole that nothing has examined yet (their chain columns
   * unknown: an earlier release's rows, stores that continued nothing), oldest first,
   * `batchSize` rows per round, each row in its own transaction: a row that continues a parent
   * its owner may read, and whose history matches, keeps only its own items; the others get
   * their counts. Only the rows among `only`, when given. `onBatch` hears the running count and
   * how many rows were left at the start. Returns how many rows it rewrote and how many of
   * those now continue a parent.
   */
  async compact(
    batchSize: number,
    readableBy: (writer: User | null) => RowCondition,
    onBatch?: (done: number, total: number) => void,
    only?: readonly string[],
  ): Promise<{ compacted: number; linked: number }> {
    if (only && !only.length) return { compacted: 0, linked: 0 };
    const { db, dialect, table } = this.#c;
    const T = table.name;
    const unexamined = (p: SqlParams) =>
      `${T}.input_count IS NULL${only ? ` AND ${T}.id IN (${only.map((id) => p.value(id)).join(", ")})` : ""}`;
    const total = await runStorage("compactResponses", async () => {
      const p = new SqlParams(dialect);
      const found = await db.queryRaw(p.query(`SELECT COUNT(*) FROM ${T} WHERE ${unexamined(p)}`));
      return Number(found.rows[0]?.[0] ?? 0);
    });
    let compacted = 0;
    let linked = 0;
    let after: Cursor | undefined; // each round starts where the last ended
    for (;;) {
      const found = await runStorage("compactResponses", async () => {
        const p = new SqlParams(dialect);
        const beyond = after ? ` AND ${afterCursor(p, T, after, "asc")}` : "";
        const rows = await db.queryRaw(
          p.query(`SELECT id, created_at FROM ${T} WHERE ${unexamined(p)}${beyond} ORDER BY created_at ASC, id ASC LIMIT ${batchSize}`),
        );
        return rows.rows.map((r) => ({ id: String(r[0]), createdAt: String(r[1]) }));
      });
      after = found.at(-1);
      for (const { id } of found) {
        const outcome = await runStorage("compactResponses", () => db.transaction((tx) => this.#compactRow(tx, id, readableBy)));
        if (outcome) compacted++;
        if (outcome === "linked") linked++;
      }
      if (found.length) onBatch?.(compacted, Math.max(total, compacted));
      if (found.length < batchSize) return { compacted, linked };
    }
  }

  /** Plans one row stored whole and rewrites it; undefined when someone else did it first. */
  async #compactRow(tx: Queryable, id: string, readableBy: (writer: User | null) => RowCondition): Promise<"linked" | "whole" | undefined> {
    const { dialect, table } = this.#c;
    const T = table.name;
    const p = new SqlParams(dialect);
    const found = await tx.queryRaw(
      p.query(
        `SELECT response_object, owner_principal, access_attributes, created_at, model FROM ${T} ` +
          `WHERE id = ${p.value(id)} AND ${T}.input_count IS NULL${dialect.lockRow}`,
      ),
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
    const parent =
      previous === undefined || previous === id ? undefined : await lockParent(tx, table.chains, previous, readableBy(writerOf(row)));
    const plan = planned(row, parent, table.chains);
    await tx.executeRaw(rewrite(dialect, table, plan, false));
    return plan.chain.parentId ? "linked" : "whole";
  }

  /**
   * Inserts the rows whose ids are not stored yet, as they are (owners included); returns the
   * ids it inserted. For imports: running it again inserts nothing twice.
   */
  async insertAbsent(rows: readonly ResponseRow[]): Promise<string[]> {
    if (!rows.length) return [];
    const { db, dialect, table } = this.#c;
    return runStorage("importResponses", async () => {
      for (let attempt = 0; ; attempt++) {
        const p = new SqlParams(dialect);
        const existing = await db.queryRaw(
          p.query(`SELECT id FROM ${table.name} WHERE id IN (${rows.map((r) => p.value(r.id)).join(", ")})`),
        );
        const stored = new Set(existing.rows.map((r) => String(r[0])));
        const absent = rows.filter((r) => !stored.has(r.id));
        if (!absent.length) return [];
        try {
          await db.executeRaw(
            statement(dialect, (p) =>
              insertValues(
                p,
                table.insertOnly,
                absent.map((r) => rowValues(unplanned(r))),
              ),
            ),
          );
          return absent.map((r) => r.id);
        } catch (error) {
          if (!isUniqueViolation(error) || attempt >= 2) throw error; // someone else inserted one meanwhile
        }
      }
    });
  }
}
