// A page's byte budget is settled without serialising the page when a bound on its JSON size is
// under the budget: the bound must never be below the real size, whatever the text holds
// (escapes, non-ASCII, lone surrogates, astral characters) and whatever the numbers are.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { jsonBytesAtMost } from "../../src/schemas/json.js";
import { withinPageBytes } from "../../src/repository/input-items.js";

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const text = fc.string({ unit: "binary" });
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value")),
    fc.dictionary(text, tie("value")),
  ),
})).value;

describe("the bound on a value's JSON bytes", () => {
  test("is never below the bytes JSON.stringify makes of it", () => {
    fc.assert(
      fc.property(json, (value) => jsonBytesAtMost(value) >= bytes(value)),
      { numRuns: 2000 },
    );
  });

  test("holds at the worst cases: control characters, quotes, backslashes, lone surrogates, the longest numbers", () => {
    for (const value of [
      "\u0000\u001f",
      '"\\',
      "\ud800",
      "😀",
      -1.7976931348623157e308,
      -0.0000010000026004465141,
      5e-324,
      -0,
      { "\n": ["\u2028"] },
    ]) {
      expect(jsonBytesAtMost(value)).toBeGreaterThanOrEqual(bytes(value));
    }
  });

  test("a page cut by its budget is the same page whether or not the bound settles it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.string(), text }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 400 }),
        (data, maxBytes) => {
          const page = { object: "list" as const, data, first_id: null, last_id: null, has_more: false };
          const cut = withinPageBytes(page, maxBytes);
          // What the cut must be: after the first item whose bytes reach the budget.
          let total = 0;
          let keep = data.length;
          for (let i = 0; i < data.length; i++) {
            if (i > 0 && total >= maxBytes) {
              keep = i;
              break;
            }
            total += bytes(data[i]);
          }
          expect(cut.data).toEqual(data.slice(0, keep));
          expect(cut.has_more).toBe(keep < data.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
