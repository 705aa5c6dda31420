/**
 * List pages as the Responses API shapes them, and their assembly from a "limit + 1" fetch.
 * (The (created_at, id) keyset predicate itself is in responses-repository.ts.)
 */

/** List order: by created_at, then id. */
export type Order = "asc" | "desc";

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
