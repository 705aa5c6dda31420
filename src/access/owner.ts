/**
 * Who owns a row: the owner columns stamped when a user stores one, and the owner as decide.ts sees it.
 *
 * (Which rows a caller may see or change is the policy's business: access/where.ts.)
 */
import type { User } from "../schemas/params.js";
import type { ResourceView } from "./decide.js";

/** Owner principal stamped on rows stored without a user. */
const UNOWNED = "";

/** The owner columns stamped on a row stored by `user`; they never change afterwards. */
export function ownerColumns(user: User | null) {
  return { ownerPrincipal: user?.principal ?? UNOWNED, accessAttributes: user?.attributes ?? null };
}

/** The user a row was stored by, from its owner columns (null for an unowned row). */
export function writerOf(row: { ownerPrincipal: string; accessAttributes: Record<string, string[]> | null }): User | null {
  return row.ownerPrincipal === UNOWNED ? null : { principal: row.ownerPrincipal, attributes: row.accessAttributes };
}

/** One string per distinct owner columns (rows with the same key were stored by the same user). */
export function ownerKey(row: { ownerPrincipal: string; accessAttributes: Record<string, string[]> | null }): string {
  return `${row.ownerPrincipal}\u0000${JSON.stringify(row.accessAttributes)}`;
}

/** The owner of a row `user` is about to store, as single-row decisions (decide.ts) take it. */
export function ownerView(user: User | null): ResourceView["owner"] {
  return user ? { principal: user.principal, attributes: user.attributes ?? null } : null;
}
