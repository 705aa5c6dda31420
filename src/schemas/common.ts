/** zod pieces shared by the response, input-item and message schemas. */
import { z } from "zod";

/**
 * A key column value (response id, model, owner principal): 1..191 characters (MySQL's indexed
 * VARCHAR), no NUL, no trailing space (MySQL compares with PAD SPACE). The same rule on every
 * database keeps results identical.
 */
export const keyString = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(191, `${what} must be at most 191 characters`)
    .refine((s) => !s.includes("\u0000"), `${what} must not contain NUL characters`)
    .refine((s) => !s.endsWith(" "), `${what} must not end with a space`);

/** `string | null | undefined` */
export const nullableString = z.string().nullish();
