/**
 * Which rows a caller may see and change under the default policy, as a condition the
 * repository renders into SQL, so that access is decided in the WHERE clause (before LIMIT) and
 * never after a page is fetched. A user sees the rows it owns and rows stored without a user;
 * no user sees only the latter.
 */
import type { User } from "../schemas/params.js";

/** Owner principal stamped on rows stored without a user. */
export const UNOWNED = "";

/** Rows whose `owner_principal` is one of `ownerIn`. */
export interface Visibility {
  ownerIn: readonly string[];
}

/** The rows visible to (and changeable by) `user`. */
export function visibleTo(user: User | null): Visibility {
  return { ownerIn: user ? [user.principal, UNOWNED] : [UNOWNED] };
}

/** The owner columns stamped on a row stored by `user`. */
export function ownerColumns(user: User | null) {
  return { ownerPrincipal: user?.principal ?? UNOWNED, accessAttributes: user?.attributes ?? null };
}
