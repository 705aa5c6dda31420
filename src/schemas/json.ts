/**
 * JSON values that round-trip: the check, and the reader of JSON columns.
 *
 * Checks that a value survives a JSON round trip unchanged, so that what is stored reads back
 * deep-equal on every database: plain objects and arrays, finite numbers, well-formed strings.
 */
import type { z } from "zod";

/**
 * How deep a stored response may nest, counting the response object as level 1: MariaDB refuses
 * JSON nested deeper (JSON_VALID accepts 31 levels, not 32), and one contract holds on every
 * engine. Input items and messages sit at level 3 (response, its `input` array, the item), so
 * each may nest 29 levels, itself included.
 */
export const MAX_STORED_DEPTH = 31;

/**
 * Adds an issue for the first part of `value` that JSON cannot hold exactly (a Date, a bigint,
 * NaN, a function, a class instance, a lone UTF-16 surrogate), or that nests more than `levels`
 * objects and arrays deep (`value` itself counts), a cycle included. Runs in O(size of value),
 * and allocates nothing unless it finds a problem (it runs on every stored response).
 */
export function checkJsonValue(value: unknown, ctx: z.core.$RefinementCtx, levels = MAX_STORED_DEPTH): boolean {
  const path: (string | number)[] = [];
  const problem = firstProblem(value, path, levels, []);
  if (problem === undefined) return true;
  ctx.addIssue({ code: "custom", message: problem.message, path, input: problem.value });
  return false;
}

/** What cannot be stored, and the value at fault (undefined: nothing). */
type Problem = { message: string; value: unknown } | undefined;

/**
 * The first problem below `value`, which may open `levels` more objects or arrays; `within` holds
 * the objects and arrays it sits in (a cycle is one of them again). On return with a problem,
 * `path` leads to it.
 */
function firstProblem(value: unknown, path: (string | number)[], levels: number, within: object[]): Problem {
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
      if (within.includes(value)) return { message: "a cycle: this value contains itself, which JSON cannot store", value: "(cycle)" };
      if (levels <= 0) return { message: `nested too deep: a stored response nests at most ${MAX_STORED_DEPTH} levels`, value: "(deeper)" };
      within.push(value);
      const problem = Array.isArray(value)
        ? firstProblemIn(value, path, levels - 1, within)
        : firstProblemOf(value, path, levels - 1, within);
      within.pop();
      return problem;
    }
    default:
      return { message: `a ${typeof value} is not a JSON value`, value };
  }
}

/** The first problem among an array's items. */
function firstProblemIn(value: unknown[], path: (string | number)[], levels: number, within: object[]): Problem {
  for (let i = 0; i < value.length; i++) {
    path.push(i);
    const problem = firstProblem(value[i], path, levels, within);
    if (problem) return problem;
    path.pop();
  }
  return undefined;
}

/** The first problem of an object (a plain one) or among its own values. */
function firstProblemOf(value: object, path: (string | number)[], levels: number, within: object[]): Problem {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    return { message: `${(value.constructor as { name?: string } | undefined)?.name ?? "object"} is not a plain JSON object`, value };
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    path.push(key);
    const problem = firstProblem(v, path, levels, within);
    if (problem) return problem;
    path.pop();
  }
  return undefined;
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

/**
 * A copy of validated JSON data (plain objects and arrays, strings, numbers, booleans, null),
 * as structuredClone makes one but sharing the strings, which cannot change: a turn's copy then
 * compares with the caller's next call by reference (sameJson), not character by character.
 *
 * @example
 * ```ts
 * const copy = copyJson({ a: [1, "text"] }) as { a: unknown[] }; // a new object and array, the same string
 * ```
 */
export function copyJson(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = copyJson((value as Record<string, unknown>)[key]);
    // An own "__proto__" key (JSON.parse makes one) stays a key: assigning it would set the prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: v, enumerable: true, writable: true, configurable: true });
    else copy[key] = v;
  }
  return copy;
}

/**
 * An upper bound on the UTF-8 bytes of `JSON.stringify(value)`, found without building the text:
 * each UTF-16 unit of a string counts 6 bytes (the longest it can become, as `\uXXXX`), a number
 * 25 (the longest JavaScript writes one: a sign, `0.00000` and 17 digits), and every bracket,
 * quote, colon and comma once. Infinity for what it cannot bound (an object with `toJSON`). A
 * page far under its byte budget is then settled without serialising it.
 *
 * @example
 * ```ts
 * jsonBytesAtMost({ a: "é" }) >= Buffer.byteLength(JSON.stringify({ a: "é" })); // true
 * ```
 */
export function jsonBytesAtMost(value: unknown): number {
  switch (typeof value) {
    case "string":
      return 6 * value.length + 2;
    case "number":
      return 25;
    case "boolean":
      return 5;
    case "object": {
      if (value === null) return 4;
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return Infinity;
      let total = 2;
      if (Array.isArray(value)) {
        for (const v of value) total += jsonBytesAtMost(v) + 1;
        return total;
      }
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        total += 6 * key.length + 4 + jsonBytesAtMost((value as Record<string, unknown>)[key]);
      }
      return total;
    }
    default:
      return 4; // undefined and functions: dropped, or null in an array
  }
}
