/**
 * Which rows a caller may see and change under the default policy, as a Prisma `where`
 * fragment, so that access is decided in SQL (before LIMIT) and never after a page is fetched.
 * A user sees the rows it owns and rows stored without a user; no user sees only the latter.
 */
import type { User } from "../schemas/params.js";

/** Owner principal stamped on rows stored without a user. */
export const UNOWNED = "";

/** The `where` fragment of rows visible to `user`. */
export function visibleTo(user: User | null) {
  return user ? { ownerPrincipal: { in: [user.principal, UNOWNED] } } : { ownerPrincipal: UNOWNED };
}

/** The owner columns stamped on a row stored by `user`. */
export function ownerColumns(user: User | null) {
  return { ownerPrincipal: user?.principal ?? UNOWNED, accessAttributes: user?.attributes ?? null };
}
