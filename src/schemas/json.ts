/**
 * Checks that a value survives a JSON round trip unchanged, so that what is stored reads back
 * deep-equal on every database: plain objects and arrays, finite numbers, well-formed strings.
 */
import type { z } from "zod";

/**
 * Adds an issue for the first part of `value` that JSON cannot hold exactly (a Date, a bigint,
 * NaN, a function, a class instance, a lone UTF-16 surrogate). Runs in O(size of value).
 */
export function checkJsonValue(value: unknown, ctx: z.core.$RefinementCtx, path: (string | number)[] = []): boolean {
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", message, path, input: value });
    return false;
  };
  switch (typeof value) {
    case "string":
      return value.isWellFormed() || fail("string contains a lone UTF-16 surrogate, which JSON cannot store");
    case "number":
      return Number.isFinite(value) || fail(`${value} is not a finite number`);
    case "boolean":
      return true;
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!checkJsonValue(value[i], ctx, [...path, i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        return fail(`${(value as object).constructor?.name ?? "object"} is not a plain JSON object`);
      }
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined && !checkJsonValue(v, ctx, [...path, k])) return false;
      }
      return true;
    }
    case "undefined":
      return true; // dropped by JSON, as an absent key
    default:
      return fail(`a ${typeof value} is not a JSON value`);
  }
}
