/** Consistency tokens: made from the database's identity and the primary's position, and checked against the database. */

/*
 * A token names the database (a digest of its first migration's id, the same on every node and
 * replica of it) and the primary's WAL position after the writes it covers, where the writer
 * knew it (PostgreSQL with replicas). A read given a token is answered only by a server that has
 * replayed that far: a replica past it, else the primary. A token without a position sends reads
 * that could go to a replica to the primary instead.
 */
import { ValidationError } from "../errors.js";
import type { ReadRoute } from "../schemas/params.js";

/**
 * The token of `database` covering the primary's `position` (undefined: not known).
 *
 * @example
 * ```ts
 * encodeToken("0123456789abcdef", 0x16b3748n); // "ors1.0123456789abcdef.16b3748"
 * ```
 */
export function encodeToken(database: string, position: bigint | undefined): string {
  return `ors1.${database}.${position === undefined ? "-" : position.toString(16)}`;
}

/**
 * Refuses a token made on another database than `database`.
 *
 * @throws ValidationError (`consistencyToken`).
 */
export function checkTokenDatabase(route: ReadRoute, database: string): void {
  if (route.token && route.token.database !== database) {
    throw new ValidationError("consistencyToken", [
      { path: [], message: "the token was made on another database (or another ?schema=) than this store's" },
    ]);
  }
}
