/**
 * Final statuses stay final: the rule as SQL for the writing statement, and as a check that explains a refusal.
 *
 * A response that is `completed`, `failed`, `cancelled` or `incomplete` may be written again with
 * the same status (a re-store, a rewrite of its storage) but never moved to another. A deleted
 * turn's row (kept for the turns built on it) is not guarded: storing its id again stores a new
 * response.
 */
import type { StoredBlob } from "./responses-table.js";

/** The statuses a response never leaves. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(["completed", "failed", "cancelled", "incomplete"]);

/** A blob's status as the `status` column keeps it (null when absent or not a string). */
export function statusOf(blob: StoredBlob): string | null {
  return typeof blob.status === "string" ? blob.status : null;
}

/** The final statuses as SQL literals (constants: no placeholder, so none shifts positional ones). */
const FINALS_SQL = [...FINAL_STATUSES].map((s) => `'${s}'`).join(", ");

/**
 * SQL that holds when the stored row of `table` may take the status `proposed` (an SQL
 * expression; a NULL one leaves a final status): it is deleted, has no final status, or keeps the one it has.
 */
export function keepsFinalStatus(table: string, proposed: string): string {
  return (
    `(${table}.deleted_at IS NOT NULL OR ${table}.status IS NULL OR ${table}.status NOT IN (${FINALS_SQL}) ` +
    `OR ${table}.status = ${proposed})`
  );
}

/** Whether a write of status `proposed` over a live row of status `stored` would leave a final status. */
export function leavesFinalStatus(stored: string | null, proposed: string | null): boolean {
  return stored !== null && FINAL_STATUSES.has(stored) && stored !== proposed;
}
