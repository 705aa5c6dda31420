// Remembered turns (repository/remembered-turns.ts), as pure code: a turn planned against a
// remembered parent is planned exactly as it would be without it, the comparison of a caller's
// items with a remembered copy answers "equal" only for items that serialise the same, and the
// memory bound, owners and copies hold.
import { DEFAULT_HISTORY_CACHE_BYTES } from "../../src/options.js";
import { describe, expect, test } from "vitest";
import { planTurn, wholeRowFacts, type DigestMode, type ParentFacts } from "../../src/repository/chain.js";
import { RememberedTurns, sameJson, snapshot } from "../../src/repository/remembered-turns.js";
import { chainTurns, type Turn } from "../support/fixtures.js";

/** The facts lockParent() would read back for a turn planned with `plan`'s columns. */
function factsOf(id: string, columns: ReturnType<typeof planTurn>["columns"]): ParentFacts {
  return {
    id,
    depth: columns.depth,
    inputCount: columns.inputCount,
    outputCount: columns.outputCount,
    messagesCount: columns.messagesCount,
    historyDigest: columns.historyDigest,
    messagesDigest: columns.messagesDigest,
  };
}

function split(turn: Turn) {
  const { input: _input, messages: _messages, ...rest } = turn.response as Record<string, unknown>;
  return { items: { input: turn.input, output: turn.response.output as unknown[], messages: turn.messages }, rest: JSON.stringify(rest) };
}

describe.each(["text", "canonical"] as const)("a remembered parent, with %s digests", (mode: DigestMode) => {
  test("plans every turn of a conversation exactly as the full prefix check does", () => {
    const turns = chainTurns("resp_", 60);
    const known = new RememberedTurns(DEFAULT_HISTORY_CACHE_BYTES);
    let parent: ParentFacts | undefined;
    let hits = 0;
    for (const turn of turns) {
      const { items, rest } = split(turn);
      const matched = known.match(turn.response.previous_response_id, "alice", turn.input, turn.messages) ?? {};
      if (matched.input) hits++;
      const withKnown = planTurn(items, parent, rest, mode, matched);
      const without = planTurn(items, parent, rest, mode);
      expect(withKnown.json).toBe(without.json);
      expect(withKnown.columns).toEqual(without.columns);
      const columns = withKnown.columns;
      if (withKnown.continuation) {
        known.remember(
          { id: turn.response.id, parentId: columns.parentId!, owner: "alice", depth: columns.depth },
          items,
          withKnown.continuation,
          { history: columns.historyDigest!, messages: columns.messagesDigest },
          matched,
        );
      }
      // The first turn is stored whole (no digests): its child reads them from its JSON.
      parent = columns.historyDigest
        ? factsOf(turn.response.id, columns)
        : wholeRowFacts(turn.response.id, { ...turn.response, input: turn.input, messages: turn.messages }, mode);
    }
    expect(hits).toBe(turns.length - 2);
    expect(known.size).toBe(1); // one entry per conversation: its newest turn
  });

  test("a prefix that no longer matches the parent's digest is checked in full and not linked", () => {
    const [t1, t2, t3] = chainTurns("resp_", 3);
    const known = new RememberedTurns(DEFAULT_HISTORY_CACHE_BYTES);
    const p1 = wholeRowFacts("resp_1", { ...t1!.response, input: t1!.input, messages: t1!.messages }, mode);
    const s2 = split(t2!);
    const plan2 = planTurn(s2.items, p1, s2.rest, mode);
    known.remember({ id: "resp_2", parentId: "resp_1", owner: "", depth: 1 }, s2.items, plan2.continuation!, {
      history: plan2.columns.historyDigest!,
      messages: plan2.columns.messagesDigest,
    });
    const matched = known.match("resp_2", "", t3!.input, t3!.messages)!;
    expect(matched.input).toBeDefined();
    // resp_2 as another instance stored it since: other output, so another digest.
    const other = { ...factsOf("resp_2", plan2.columns), historyDigest: "0".repeat(64), messagesDigest: "1".repeat(64) };
    const s3 = split(t3!);
    expect(planTurn(s3.items, other, s3.rest, mode, matched).columns).toMatchObject({ parentId: null, inputStart: 0, messagesStart: 0 });
  });
});

describe("comparing a caller's items with a remembered copy", () => {
  const item = { type: "message", role: "user", id: "m1", content: [{ type: "input_text", text: "hi" }] };

  test("answers equal only when the JSON text would be the same", () => {
    const known = snapshot(item);
    expect(sameJson(structuredClone(item), known)).toBe(true);
    expect(sameJson({ ...item, id: null }, snapshot({ ...item, id: null }))).toBe(true);
    expect(sameJson(Object.assign(Object.create(null), item), known)).toBe(true);
    expect(sameJson(0, snapshot(-0))).toBe(true); // both serialise to 0
    expect(sameJson({ role: "user", type: "message", id: "m1", content: item.content }, known)).toBe(false); // key order
    expect(sameJson({ ...item, extra: undefined }, known)).toBe(false); // stringify drops it; we do not guess
    expect(sameJson({ type: "message", role: "user", id: "m1" }, known)).toBe(false);
    expect(sameJson({ ...item, content: [{ type: "input_text", text: "hi!" }] }, known)).toBe(false);
    expect(sameJson({ ...item, content: { 0: item.content[0] } }, known)).toBe(false); // an object is not an array
    expect(sameJson([item.content[0]], snapshot({ 0: item.content[0] }))).toBe(false); // an array is not an object
    expect(sameJson(Object.assign(Object.create({ toJSON: () => item }), item), known)).toBe(false); // not a plain object
    expect(sameJson({ at: new Date(0) }, snapshot({ at: "1970-01-01T00:00:00.000Z" }))).toBe(false);
    expect(sameJson([1, 2], snapshot([1, 2, 3]))).toBe(false);
    expect(sameJson(null, snapshot({}))).toBe(false);
    expect(sameJson({}, snapshot(null))).toBe(false);
  });

  test("a remembered turn is a copy: editing the caller's objects in place afterwards is seen as a different history", () => {
    const [t1, t2, t3] = chainTurns("resp_", 3);
    const known = new RememberedTurns(DEFAULT_HISTORY_CACHE_BYTES);
    const p1 = wholeRowFacts("resp_1", { ...t1!.response, input: t1!.input, messages: t1!.messages });
    const s2 = split(t2!);
    const plan2 = planTurn(s2.items, p1, s2.rest);
    known.remember({ id: "resp_2", parentId: "resp_1", owner: "", depth: 1 }, s2.items, plan2.continuation!, {
      history: plan2.columns.historyDigest!,
      messages: plan2.columns.messagesDigest,
    });
    expect(known.match("resp_2", "", t3!.input, t3!.messages)?.input).toBeDefined();
    (t3!.input[0] as { content: { text: string }[] }).content[0]!.text = "edited in place";
    (t3!.messages[0] as { content: string }).content = "edited in place";
    expect(known.match("resp_2", "", t3!.input, t3!.messages)).toEqual({ input: undefined, messages: undefined, validInput: 0 });
  });
});

describe("the remembered turns", () => {
  /** Remembers turn 2 of a fresh conversation `prefix` (stored by `owner`) and returns its turn 3. */
  function rememberTurnTwo(known: RememberedTurns, prefix: string, owner = "") {
    const [t1, t2, t3] = chainTurns(
      prefix,
      3,
      1_732_406_400,
      () => "q".repeat(500),
      () => "a".repeat(500),
    );
    const p1 = wholeRowFacts(`${prefix}1`, { ...t1!.response, input: t1!.input, messages: t1!.messages });
    const s2 = split(t2!);
    const plan = planTurn(s2.items, p1, s2.rest);
    known.remember({ id: `${prefix}2`, parentId: `${prefix}1`, owner, depth: 1 }, s2.items, plan.continuation!, {
      history: plan.columns.historyDigest!,
      messages: plan.columns.messagesDigest,
    });
    return t3!;
  }

  test("are used for the owner who stored them only", () => {
    const known = new RememberedTurns(DEFAULT_HISTORY_CACHE_BYTES);
    const next = rememberTurnTwo(known, "a_", "alice");
    expect(known.match("a_2", "bob", next.input, next.messages)).toBeUndefined();
    expect(known.match("a_2", "alice", next.input, next.messages)?.input).toBeDefined();
  });

  test("stay within their byte bound, forgetting the least recently used first", () => {
    const probe = new RememberedTurns(DEFAULT_HISTORY_CACHE_BYTES);
    rememberTurnTwo(probe, "p_");
    const one = probe.bytes;
    expect(one).toBeGreaterThan(2000);
    const known = new RememberedTurns(one * 2 + 1);
    const a = rememberTurnTwo(known, "a_");
    rememberTurnTwo(known, "b_");
    expect(known.match("a_2", "", a.input, a.messages)?.input).toBeDefined(); // a_ used: b_ is now the oldest
    rememberTurnTwo(known, "c_");
    expect([known.size, known.bytes]).toEqual([2, one * 2]);
    expect(known.match("b_2", "", [], [])).toBeUndefined();
    expect(known.match("a_2", "", a.input, a.messages)?.input).toBeDefined();
    known.forget("a_2");
    expect(known.size).toBe(1);
    const off = new RememberedTurns(0);
    rememberTurnTwo(off, "z_");
    expect([off.size, off.bytes]).toEqual([0, 0]);
  });
});
