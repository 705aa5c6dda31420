/**
 * JSON values that round-trip: the check, and the reader of JSON columns.
 *
 * Checks that a value survives a JSON round trip unchanged, so that what is stored reads back
 * deep-equal on every database: plain objects and arrays, finite numbers, well-formed strings.
 */
import type { z } from "zod";

/**
 * Adds an issue for the first part of `value` that JSON cannot hold exactly (a Date, a bigint,
 * NaN, a function, a class instance, a lone UTF-16 surrogate). Runs in O(size of value), and
 * allocates nothing unless it finds a problem (it runs on every stored response).
 */
export function checkJsonValue(value: unknown, ctx: z.core.$RefinementCtx): boolean {
  const path: (string | number)[] = [];
  const problem = firstProblem(value, path);
  if (problem === undefined) return true;
  ctx.addIssue({ code: "custom", message: problem.message, path, input: problem.value });
  return false;
}

/** The first problem below `value`; on return with a problem, `path` leads to it. */
function firstProblem(value: unknown, path: (string | number)[]): { message: string; value: unknown } | undefined {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? undefined : { message: "string contains a lone UTF-16 surrogate, which JSON cannot store", value };
    case "number":
      return Number.isFinite(value) ? undefined : { message: `${value} is not a finite number`, value };
    case "boolean":
    case "undefined": // dropped by JSON, as an absent key
      return undefined;
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          const problem = firstProblem(value[i], path);
          if (problem) return problem;
          path.pop();
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        return { message: `${(value.constructor as { name?: string } | undefined)?.name ?? "object"} is not a plain JSON object`, value };
      }
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        path.push(key);
        const problem = firstProblem(v, path);
        if (problem) return problem;
        path.pop();
      }
      return undefined;
    }
    default:
      return { message: `a ${typeof value} is not a JSON value`, value };
  }
}

/**
 * A JSON column's value: drivers return it as text or already parsed.
 *
 * @example
 * ```ts
 * fromJson('{"a":1}'); // { a: 1 }
 * ```
 */
export function fromJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}
