/**
 * Keyset pagination on (created_at, id): the predicate that continues after a cursor row, the
 * matching ORDER BY, and page assembly. The id tie-breaker is what keeps rows that share a
 * created_at second from being skipped or repeated (the reference compares created_at alone).
 */

/** List order: by created_at, then id. */
export type Order = "asc" | "desc";

/** The position of the row a page continues after. */
export interface KeysetCursor {
  createdAt: bigint;
  id: string;
}

/**
 * Rows strictly after `cursor` in `order`:
 * `created_at < c OR (created_at = c AND id < i)` for desc (`>` for asc). Not the classic
 * mistake `created_at < c AND id < i`, which drops rows.
 */
export function afterCursor(cursor: KeysetCursor, order: Order) {
  const beyond = order === "desc" ? "lt" : "gt";
  return {
    OR: [{ createdAt: { [beyond]: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { [beyond]: cursor.id } }],
  };
}

/** ORDER BY created_at, id in one direction, so the (…, created_at, id) indexes serve it. */
export function keysetOrder(order: Order) {
  return [{ createdAt: order }, { id: order }] as const;
}

/** A page of a list, as the Responses API shapes it. */
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
