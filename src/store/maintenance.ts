/** Operator jobs' bodies: retention of responses and conversation messages, storage stats, owner counts, imports and compaction. */
import type { ReadRoute } from "../schemas/params.js";
import { ownerColumns } from "../access/owner.js";
import type { RowCondition } from "../access/where.js";
import { ValidationError } from "../errors.js";
import { toRow, toStoredBlob, type ResponseRow } from "../repository/responses-table.js";
import { validate } from "../schemas/arguments.js";
import type { ResponseObject as ParsedResponse } from "../schemas/response.js";
import { parseUser, type User } from "../schemas/params.js";
import type { ImportRecord, ImportResult, StorageCounts, StorageStats } from "../types.js";
import type { StoreRuntime } from "./runtime.js";

/** Rows compacted per round when an import rewrites what it inserted into linear storage. */
const IMPORT_COMPACT_BATCH = 500;

/** Operator jobs over one runtime. */
export class MaintenanceOperations {
  readonly #runtime: StoreRuntime;
  readonly #readableBy: (owner: User | null) => RowCondition;

  /** `readableBy`: the rows an owner may read, what a turn is linked against when compacted. */
  constructor(runtime: StoreRuntime, readableBy: (owner: User | null) => RowCondition) {
    this.#runtime = runtime;
    this.#readableBy = readableBy;
  }

  /** Deletes prunable responses created before `cutoff`, after every queued write lands. */
  async pruneResponses(
    cutoff: number,
    prunable: RowCondition,
    batchSize: number,
    onProgress?: (deleted: number, total: number) => void,
  ): Promise<{ deleted: number }> {
    const deleted = await this.#runtime.onPrimary("all", ({ responses }) => responses.prune(cutoff, prunable, batchSize, onProgress));
    return { deleted };
  }

  /** How many responses created before `cutoff` a prune would delete (a dry run: nothing is deleted). */
  async countPrunableResponses(cutoff: number, prunable: RowCondition): Promise<{ deleted: 0; matched: number }> {
    const matched = await this.#runtime.onPrimary("all", ({ responses }) => responses.countPrunable(cutoff, prunable));
    return { deleted: 0, matched };
  }

  /** How many conversation messages last stored before `cutoff` a prune would delete (a dry run). */
  async countPrunableConversationMessages(cutoff: number, prunable: RowCondition): Promise<{ deleted: 0; matched: number }> {
    const matched = await this.#runtime.onPrimary("none", ({ messages }) => messages.countPrunable(cutoff, prunable));
    return { deleted: 0, matched };
  }

  /** Deletes prunable conversation messages last stored before `cutoff` (`onProgress` hears the running total as both numbers). */
  async pruneConversationMessages(
    cutoff: number,
    prunable: RowCondition,
    batchSize: number,
    onProgress?: (deleted: number, total: number) => void,
  ): Promise<{ deleted: number }> {
    const deleted = await this.#runtime.onPrimary("none", ({ messages }) =>
      messages.prune(cutoff, prunable, batchSize, (k) => onProgress?.(k, k)),
    );
    return { deleted };
  }

  /** Rows and bytes of the `visible` responses, per model and in all, after every queued write lands. */
  async storageStats(visible: RowCondition, route: ReadRoute): Promise<StorageStats> {
    const byModel = await this.#runtime.read("all", ({ responses }) => responses.storageStats(visible), undefined, route);
    const sum = (key: keyof StorageCounts) => byModel.reduce((n, m) => n + m[key], 0);
    return { rows: sum("rows"), bytes: sum("bytes"), storedBytes: sum("storedBytes"), retained: sum("retained"), byModel };
  }

  /** The owners with the most rows, after every queued write lands. */
  ownerCounts(limit: number, route: ReadRoute): Promise<{ owner: string; rows: number }[]> {
    return this.#runtime.read("all", ({ responses }) => responses.ownerCounts(limit), undefined, route);
  }

  /**
   * Inserts the valid records whose ids are absent, then rewrites them into linear storage
   * (oldest first, each turn against the parent its owner may read). It does not wait for
   * queued writes: an id a queued write stores is skipped if it lands first, and replaced by
   * that write if it lands after (a store replaces what its writer may update).
   */
  async importResponses(records: readonly ImportRecord[]): Promise<ImportResult> {
    const invalid: ImportResult["invalid"] = [];
    const rows: ResponseRow[] = [];
    for (const [index, given] of records.entries()) {
      // Anything but a record object is reported like a record whose response is invalid.
      const r = (typeof given === "object" && given !== null && !Array.isArray(given) ? given : { response: given }) as ImportRecord;
      try {
        const owner = parseUser(r.owner);
        validate("response", r.response);
        validate("input", r.input);
        validate("messages", r.messages ?? []);
        rows.push(toRow(toStoredBlob(r.response as ParsedResponse, r.input, r.messages), ownerColumns(owner)));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const id = (r.response as { id?: unknown } | null)?.id;
        invalid.push({ id: typeof id === "string" ? id : "(no id)", index, error });
      }
    }
    const inserted = await this.#runtime.onPrimary("none", async ({ responses }) => {
      const ids = await responses.insertAbsent(rows);
      await responses.compact(IMPORT_COMPACT_BATCH, this.#readableBy, undefined, ids);
      return ids;
    });
    const done = new Set(inserted);
    return { inserted, skipped: rows.filter((r) => !done.has(r.id)).map((r) => r.id), invalid };
  }

  /** Rewrites into linear storage the rows stored whole that no run has examined yet, after every queued write lands. */
  compactResponses(batchSize: number, onProgress?: (done: number, total: number) => void): Promise<{ compacted: number; linked: number }> {
    return this.#runtime.onPrimary("all", ({ responses }) => responses.compact(batchSize, this.#readableBy, onProgress));
  }
}
