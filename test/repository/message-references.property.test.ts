// Messages stored as references to the items they repeat come back as the same JSON text, whatever
// the messages and items hold: texts with escapes, lone surrogates and astral characters, keys in
// any order, extra keys, content parts, items of other shapes. A message is replaced only by a
// reference that resolves to exactly it.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { resolveReferences, withReferences } from "../../src/repository/message-references.js";

const text = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("question", "answer", ""));
const role = fc.constantFrom("user", "assistant", "system", "developer", "tool");
const part = fc.record({ type: fc.constantFrom("input_text", "output_text", "text", "refusal"), text }, { requiredKeys: ["type"] });
const item = fc.oneof(
  fc.record({ type: fc.constant("message"), role, content: fc.array(part, { maxLength: 2 }) }),
  fc.record({ type: fc.constant("message"), id: text, role, status: fc.constant("completed"), content: fc.array(part, { maxLength: 2 }) }),
  fc.record({ role, content: fc.oneof(text, fc.array(part, { maxLength: 2 })) }), // an easy input message
  fc.record({ type: fc.constantFrom("function_call", "reasoning"), id: text }),
);
// Messages drawn near the items' chat forms: the same, the keys swapped, another key, another text.
const message = fc.oneof(
  fc.record({ role, content: text }),
  fc.record({ content: text, role }),
  fc.record({ role, content: text, name: text }),
  fc.record({ role, content: fc.array(part, { maxLength: 1 }) }),
);
const broken = (why: string) => new Error(why);

describe("message references", () => {
  test("resolve to the messages as given, each replaced only where its item says exactly it", () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 4 }),
        fc.array(item, { maxLength: 3 }),
        fc.array(message, { maxLength: 5 }),
        fc.array(fc.nat(6), { maxLength: 3 }),
        (ownInput, parentOutput, drawn, echoes) => {
          // Some messages are an item's own chat form, as a caller converting items would send it.
          const echoed = echoes.flatMap((i) => {
            const source = [...ownInput, ...parentOutput][i] as { role?: unknown; content?: unknown } | undefined;
            const content = Array.isArray(source?.content) ? (source.content[0] as { text?: unknown } | undefined)?.text : source?.content;
            return typeof source?.role === "string" && typeof content === "string" ? [{ role: source.role, content }] : [];
          });
          const messages = [...drawn, ...echoed];
          const stored = withReferences(messages, ownInput, parentOutput);
          const read = stored ? resolveReferences(JSON.parse(JSON.stringify(stored)), ownInput, () => parentOutput, broken) : messages;
          expect(JSON.stringify(read)).toBe(JSON.stringify(messages));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("replace the messages that are an item's chat form", () => {
    const ownInput = [{ type: "message", role: "user", id: "in", content: [{ type: "input_text", text: "question" }] }];
    const parentOutput = [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "answer", annotations: [] }] }];
    expect(
      withReferences(
        [
          { role: "assistant", content: "answer" },
          { role: "user", content: "question" },
        ],
        ownInput,
        parentOutput,
      ),
    ).toEqual([{ $parent: 0 }, { $input: 0 }]);
  });
});
