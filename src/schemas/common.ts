/** zod pieces shared by the response, input-item and message schemas. */
import { z } from "zod";

/**
 * What a key column value (response id, model, owner principal, conversation id) must be:
 * 1..191 characters (MySQL's indexed VARCHAR), no NUL (PostgreSQL's text cannot hold it), no lone
 * UTF-16 surrogate (not UTF-8: PostgreSQL and MariaDB would store U+FFFD, so two different
 * strings would become one), no trailing space (MySQL compares with PAD SPACE). The same rule on
 * every database keeps results identical.
 */
const KEY_RULES: readonly [test: (s: string) => boolean, problem: string][] = [
  [(s) => s.length >= 1, "must not be empty"],
  [(s) => s.length <= 191, "must be at most 191 characters"],
  [(s) => !s.includes("\u0000"), "must not contain NUL characters"],
  [(s) => s.isWellFormed(), "must not contain a lone UTF-16 surrogate"],
  [(s) => !s.endsWith(" "), "must not end with a space"],
];

/** A zod schema of a key column value: see KEY_RULES. */
export const keyString = (what: string) =>
  KEY_RULES.reduce((schema, [test, problem]) => schema.refine(test, `${what} ${problem}`), z.string());

/**
 * Whether `s` could be a stored key: a lookup by anything else finds nothing, on every engine,
 * without asking the database (which would refuse or fold it).
 */
export function isKey(s: string): boolean {
  return KEY_RULES.every(([test]) => test(s));
}

/** A string the databases store exactly: no NUL, no lone surrogate (attribute keys and values). */
export const storableString = z
  .string()
  .refine((s) => !s.includes("\u0000"), "must not contain NUL characters")
  .refine((s) => s.isWellFormed(), "must not contain a lone UTF-16 surrogate");

/** `string | null | undefined` */
export const nullableString = z.string().nullish();
