/** Keyset pagination by (created_at, id): the cursor predicate, and pages as the Responses API shapes them. */
import { InvalidParameterError } from "../errors.js";
import type { SqlParams } from "./sql.js";

/**
 * List order: by created_at, then id.
 *
 * @example
 * ```ts
 * const order: Order = "asc"; // oldest first
 * await store.listResponses({ user, order });
 * ```
 */
export type Order = "asc" | "desc";

/**
 * A page of a list, as the Responses API shapes it.
 *
 * @example
 * ```ts
 * const page: ListPage<ResponseWithInput> = await store.listResponses({ user, limit: 20 });
 * if (page.has_more) await store.listResponses({ user, after: page.last_id });
 * ```
 */
export interface ListPage<T> {
  object: "list";
  data: T[];
  /** Id of the first item, or null for an empty page. */
  first_id: string | null;
  /** Id of the last item, or null for an empty page (pass it as `after` for the next page). */
  last_id: string | null;
  /** True when more items follow this page in the same order. */
  has_more: boolean;
}

/**
 * A page from up to `limit + 1` fetched items: the extra item only tells that more exist.
 */
export function assemblePage<T>(items: T[], limit: number, idOf: (item: T) => string | null | undefined): ListPage<T> {
  const data = items.slice(0, limit);
  return {
    object: "list",
    data,
    first_id: data.length ? (idOf(data[0]!) ?? null) : null,
    last_id: data.length ? (idOf(data[data.length - 1]!) ?? null) : null,
    has_more: items.length > limit,
  };
}

/** A position in a (created_at, id) order: the row a page continues after. */
export interface Cursor {
  createdAt: string;
  id: string;
}

/**
 * The rows of `table` beyond `cursor` in `order`: `created_at < c OR (created_at = c AND id < i)`
 * (`>` ascending), so rows that share a second are neither skipped nor repeated.
 */
export function afterCursor(p: SqlParams, table: string, cursor: Cursor, order: Order): string {
  const beyond = order === "desc" ? "<" : ">";
  return (
    `(${table}.created_at ${beyond} ${p.value(cursor.createdAt, "bigint")} OR ` +
    `(${table}.created_at = ${p.value(cursor.createdAt, "bigint")} AND ${table}.id ${beyond} ${p.value(cursor.id)}))`
  );
}

/** The error of a list cursor that names no visible row, in the reference's words. */
export function unknownCursor(after: string): InvalidParameterError {
  return new InvalidParameterError("after", `Record with id='${after}' not found in table 'openai_responses'`);
}
