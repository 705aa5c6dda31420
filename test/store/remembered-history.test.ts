// A store remembers the newest turn of each recent conversation, so that the next turn's
// whole input and messages are checked against it item by item instead of serialised and
// hashed again. The database stays the authority: callers that edit their objects in place,
// other instances that rewrite a parent, and invalid new items all come out as without it.
import { describe, expect, test } from "vitest";
import { ConfigurationError, ResponsesStore, ValidationError, type ResponsesStore as Store } from "../../src/index.js";
import type { InputItem } from "../../src/schemas/input-item.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, chainTurns, storeFactory, type Turn } from "../support/fixtures.js";
import { storedRow } from "../support/raw-rows.js";

async function storeAll(store: Store, turns: readonly Turn[]): Promise<void> {
  for (const t of turns) await store.storeResponseObject(t.response, t.input, t.messages, { user: alice });
}

async function readsBack(store: Store, turn: Turn): Promise<void> {
  expect(await store.getResponseObject(turn.response.id, { user: alice })).toEqual({
    ...turn.response,
    input: turn.input,
    messages: turn.messages,
  });
}

describe.each(PROVIDERS)("remembered history on $label", (provider) => {
  const stores = storeFactory(provider);
  const parentOf = async (id: string) => (await storedRow(provider.name, await stores.url(), id))!.parentId;
  /** How many input items the row keeps itself (all of them when its input is not linked). */
  const keptInput = async (id: string) => (await storedRow(provider.name, await stores.url(), id))!.stored.input.length;

  test("a caller that edits an earlier item in place gets back exactly what it gave; the edited turn is stored whole", async () => {
    const store = await stores.open();
    const turns = chainTurns("resp_", 4);
    await storeAll(store, turns.slice(0, 3));
    const original = structuredClone(turns[2]!);
    // The caller's turn-4 input and messages share their objects with the earlier turns'.
    (turns[3]!.input[0] as { content: { text: string }[] }).content[0]!.text = "edited after it was stored";
    (turns[3]!.messages[0] as { content: string }).content = "edited after it was stored";
    await storeAll(store, turns.slice(3));
    await readsBack(store, turns[3]!);
    await readsBack(store, original); // turn 3 keeps what it was given then
    expect(await parentOf("resp_4")).toBeNull();
    expect(await parentOf("resp_3")).toBe("resp_2");
  });

  test("a parent that another instance re-stored with other output: the next turn is linked only to what the parent now holds", async () => {
    const a = await stores.open();
    const b = await stores.open();
    const turns = chainTurns("resp_", 4);
    await storeAll(a, turns.slice(0, 3)); // a remembers resp_3
    const rewritten = {
      ...turns[2]!.response,
      output: [
        {
          type: "message",
          id: "resp__out3b",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: "another answer", annotations: [] }],
        },
      ],
    };
    await b.storeResponseObject(rewritten, turns[2]!.input, turns[2]!.messages, { user: alice });
    // a's get sees b's version: the row's digest is no longer the one a remembers.
    await readsBack(a, { response: rewritten, input: turns[2]!.input, messages: turns[2]!.messages });
    // From a, with the history a remembers: not what resp_3 holds now, so the input is kept
    // whole (the messages, which b left as they were, still continue resp_3's).
    await storeAll(a, [turns[3]!]);
    await readsBack(a, turns[3]!);
    expect(await keptInput("resp_4")).toBe(turns[3]!.input.length);
    // From a, with the history resp_3 holds now: linked.
    const input = [...turns[2]!.input, ...(rewritten.output as InputItem[]), turns[3]!.input.at(-1)!];
    const fork = { response: { ...turns[3]!.response, id: "resp_4b" }, input, messages: turns[3]!.messages };
    await storeAll(a, [fork]);
    await readsBack(b, fork);
    expect(await parentOf("resp_4b")).toBe("resp_3");
    expect(await keptInput("resp_4b")).toBe(1);
  });

  test("a lifecycle update from another instance is read back by the store that remembers the turn", async () => {
    const a = await stores.open();
    const b = await stores.open();
    const turns = chainTurns("resp_", 3);
    await storeAll(a, turns);
    const updated = { ...turns[2]!.response, metadata: { reviewed: "yes" } };
    await b.updateResponseObject(updated, { user: alice });
    await readsBack(a, { ...turns[2]!, response: updated });
  });

  test("an invalid new item is reported at its place in the whole input, though the remembered items before it are not validated again", async () => {
    const store = await stores.open();
    const turns = chainTurns("resp_", 3);
    await storeAll(store, turns.slice(0, 2));
    const bad = {
      ...turns[2]!,
      input: [...turns[2]!.input.slice(0, -1), { type: "message", role: "user", content: 42 } as unknown as InputItem],
    };
    const error = await store.storeResponseObject(bad.response, bad.input, bad.messages, { user: alice }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.path[0]).toBe(bad.input.length - 1);
    await expect(store.getResponseObject("resp_3", { user: alice })).rejects.toThrow(/not found/);
    await storeAll(store, [turns[2]!]);
    await readsBack(store, turns[2]!);
  });

  test("historyCacheBytes: 0 remembers nothing and stores the same rows", async () => {
    const url = await stores.url();
    const store = await stores.open({ historyCacheBytes: 0 });
    const turns = chainTurns("resp_", 5);
    await storeAll(store, turns);
    for (const t of turns) await readsBack(store, t);
    expect(await Promise.all(turns.map((t) => parentOf(t.response.id)))).toEqual([null, "resp_1", "resp_2", "resp_3", "resp_4"]);
    expect(() => new ResponsesStore({ url, historyCacheBytes: -1 })).toThrow(ConfigurationError);
  });
});
