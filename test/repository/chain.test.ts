// The prefix check of linear storage, as a pure function: a turn links to its parent when it
// repeats the parent's history item by item. Where the database hands JSON back with object
// keys reordered (MySQL 8's binary JSON), the digests are taken over sorted keys, so a
// parent read back from storage still matches the items a caller passes.
import { describe, expect, test } from "vitest";
import { planTurn, wholeRowFacts } from "../../src/repository/chain.js";
import { chainTurns } from "../support/fixtures.js";

/** `value` with every object's keys in reverse order, as a reordering database returns it. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .reverse()
      .map((k) => [k, reordered((value as Record<string, unknown>)[k])]),
  );
}

describe("the prefix check", () => {
  const [first, second] = chainTurns("resp_", 2);
  const { input: _input, messages: _messages, ...rest } = { ...second!.response };
  const items = { input: second!.input, output: second!.response.output, messages: second!.messages };
  const parentBlob = { ...first!.response, input: first!.input, messages: first!.messages };

  test("links a turn that repeats its parent's history, keeping only its new items", () => {
    const plan = planTurn(items, wholeRowFacts("resp_1", parentBlob), JSON.stringify(rest));
    expect(plan.columns).toMatchObject({ parentId: "resp_1", inputStart: 2, messagesStart: 1, depth: 1 });
    expect(JSON.parse(plan.json)).toEqual({ ...rest, input: second!.input.slice(2), messages: second!.messages.slice(1) });
  });

  test("over sorted keys, a parent read back with its keys reordered still matches", () => {
    const fromStorage = reordered(parentBlob) as Record<string, unknown>;
    expect(planTurn(items, wholeRowFacts("resp_1", fromStorage, "text"), JSON.stringify(rest), "text").columns.parentId).toBeNull();
    expect(planTurn(items, wholeRowFacts("resp_1", fromStorage, "canonical"), JSON.stringify(rest), "canonical").columns).toMatchObject({
      parentId: "resp_1",
      inputStart: 2,
    });
  });

  test("an input item that differs in any value is not a match, in either mode (the unchanged messages still are)", () => {
    const edited = structuredClone(items);
    (edited.input[0] as { content: { text: string }[] }).content[0]!.text += "!";
    for (const mode of ["text", "canonical"] as const) {
      const plan = planTurn(edited, wholeRowFacts("resp_1", parentBlob, mode), JSON.stringify(rest), mode);
      expect(plan.columns).toMatchObject({ parentId: "resp_1", inputStart: 0, messagesStart: 1 });
      expect(JSON.parse(plan.json).input).toEqual(edited.input);
    }
  });
});
