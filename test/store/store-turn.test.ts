// storeTurn: a turn stored from what it adds (its new input items and new messages), its whole
// lists being its parent's followed by those. It reads back exactly as the same turn stored with
// whole lists does, on the instance that stored the parent (which builds on what it remembers)
// and on any other (which reads the parent); a parent another instance changed meanwhile is built
// on as it is now; bad calls are typed errors that write nothing.
import { describe, expect, test } from "vitest";
import { InvalidParameterError, ResponseNotFoundError, ValidationError, type InputItem, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, chainTurns, makeResponse, storeFactory, userMessage, type Turn } from "../support/fixtures.js";
import { storedRow } from "../support/raw-rows.js";

/** What turn `t` (0-based in `turns`) adds to its parent: its new input items and new messages. */
function added(turns: readonly Turn[], t: number): { input: InputItem[]; messages: Turn["messages"] } {
  const previous = turns[t - 1];
  if (!previous) return { input: turns[t]!.input, messages: turns[t]!.messages };
  const history = previous.input.length + (previous.response.output as unknown[]).length;
  return { input: turns[t]!.input.slice(history), messages: turns[t]!.messages.slice(previous.messages.length) };
}

/** Stores `turns` from what each adds: the first with storeResponseObject, the rest with storeTurn. */
async function storeAdding(store: ResponsesStore, turns: readonly Turn[], from = 0): Promise<void> {
  for (let t = from; t < turns.length; t++) {
    const { input, messages } = added(turns, t);
    if (t === 0) await store.storeResponseObject(turns[0]!.response, input, messages, { user: alice });
    else await store.storeTurn(turns[t]!.response, input, messages, { user: alice });
  }
}

/** Every item id of a response's input, oldest first, two at a time with cursors. */
async function inputIds(store: ResponsesStore, id: string): Promise<(string | null | undefined)[]> {
  const ids: (string | null | undefined)[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listResponseInputItems(id, { user: alice, order: "asc", limit: 2, after });
    ids.push(...page.data.map((i) => i.id));
    if (!page.has_more) return ids;
    after = page.last_id!;
  }
}

describe.each(PROVIDERS)("storeTurn on $label", (provider) => {
  const stores = storeFactory(provider);

  test("a conversation stored from what each turn adds reads back whole at every turn, on the writer and on a store that remembers nothing", async () => {
    const writer = await stores.open();
    const turns = chainTurns("resp_", 40);
    await storeAdding(writer, turns);
    const reader = await stores.open();
    for (const t of [turns[0]!, turns[1]!, turns[20]!, turns[39]!]) {
      const whole = { ...t.response, input: t.input, messages: t.messages };
      expect(await writer.getResponseObject(t.response.id, { user: alice })).toEqual(whole);
      expect(await reader.getResponseObject(t.response.id, { user: alice })).toEqual(whole);
    }
    expect(await inputIds(reader, "resp_40")).toEqual(turns[39]!.input.map((i) => i.id));
    // Each turn keeps only what it added.
    expect((await storedRow(provider.name, await stores.url(), "resp_40"))!).toMatchObject({
      parentId: "resp_39",
      stored: { input: added(turns, 39).input },
    });
  });

  test("on another instance the previous turn is read once, and the rest builds on it", async () => {
    const first = await stores.open();
    const turns = chainTurns("resp_", 6);
    await storeAdding(first, turns.slice(0, 3));
    const second = await stores.open();
    await storeAdding(second, turns, 3);
    for (const store of [first, second])
      expect(await store.getResponseObject("resp_6", { user: alice })).toEqual({
        ...turns[5]!.response,
        input: turns[5]!.input,
        messages: turns[5]!.messages,
      });
    // What a read returns, in bytes, is what the same turns stored on one instance give.
    const twins = chainTurns("twin_", 6);
    const single = await stores.open();
    for (let t = 0; t < twins.length; t++) {
      const { input, messages } = added(twins, t);
      if (t === 0) await single.storeResponseObject(twins[0]!.response, input, messages, { user: bob });
      else await single.storeTurn(twins[t]!.response, input, messages, { user: bob });
    }
    const bytes = async (user: typeof alice) => (await single.storageStats({ user })).bytes;
    expect(await bytes(alice)).toBe(await bytes(bob));
  });

  test("turns stored by instances in turn are each one row of their own items, with the sizes, pages and continuations of one instance's", async () => {
    // Behind a load balancer each turn may land on an instance that does not remember the one
    // before: it is inserted on the parent row as read, never built from the whole history.
    const [a, b] = [await stores.open(), await stores.open()];
    const turns = chainTurns("resp_", 12);
    const twins = chainTurns("twin_", 12); // the same sizes, stored by one instance (as bob)
    const single = await stores.open();
    for (let t = 0; t < turns.length; t++) {
      for (const [store, list, user] of [[t % 2 ? b : a, turns, alice] as const, [single, twins, bob] as const]) {
        const { input, messages } = added(list, t);
        if (t === 0) await store.storeResponseObject(list[0]!.response, input, messages, { user });
        else await store.storeTurn(list[t]!.response, input, messages, { user });
      }
    }
    const reader = await stores.open();
    for (const t of [turns[1]!, turns[6]!, turns[11]!])
      expect(await reader.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
    expect(await inputIds(reader, "resp_12")).toEqual(turns[11]!.input.map((i) => i.id));
    expect((await storedRow(provider.name, await stores.url(), "resp_12"))!).toMatchObject({
      parentId: "resp_11",
      stored: { input: added(turns, 11).input },
    });
    // What a read returns and what is kept, in bytes, as the one instance's conversation; and what
    // a read returns is the JSON of every turn as read.
    const { bytes, storedBytes, rows } = await reader.storageStats({ user: alice });
    expect({ bytes, storedBytes, rows }).toEqual(
      await reader.storageStats({ user: bob }).then((s) => ({ bytes: s.bytes, storedBytes: s.storedBytes, rows: s.rows })),
    );
    let read = 0;
    for (const t of turns) read += Buffer.byteLength(JSON.stringify(await reader.getResponseObject(t.response.id, { user: alice })));
    expect(bytes).toBe(read);
    // A whole-list store on such a turn still keeps only its own items, and is built on as remembered.
    const next = chainTurns("resp_", 14);
    await reader.storeResponseObject(next[12]!.response, next[12]!.input, next[12]!.messages, { user: alice });
    await reader.storeTurn(next[13]!.response, added(next, 13).input, added(next, 13).messages, { user: alice });
    for (const id of ["resp_13", "resp_14"])
      expect((await storedRow(provider.name, await stores.url(), id))!.parentId).toBe(id === "resp_13" ? "resp_12" : "resp_13");
    const last = next[13]!;
    expect(await a.getResponseObject("resp_14", { user: alice })).toEqual({ ...last.response, input: last.input, messages: last.messages });
  });

  test("a parent another instance changed since this one stored it is built on as it is now", async () => {
    const writer = await stores.open();
    const other = await stores.open();
    const turns = chainTurns("resp_", 2);
    await storeAdding(writer, turns); // writer remembers resp_2
    const changedOutput = [{ ...(turns[1]!.response.output[0] as object), id: "resp__out2_v2" }];
    await other.storeResponseObject({ ...turns[1]!.response, output: changedOutput } as never, turns[1]!.input, turns[1]!.messages, {
      user: alice,
    });
    const next = makeResponse({ id: "resp_3", previous_response_id: "resp_2" });
    await writer.storeTurn(next, [userMessage("resp__in3")], [], { user: alice });
    const stored = await other.getResponseObject("resp_3", { user: alice });
    expect(stored.input.map((i) => i.id)).toEqual([...turns[1]!.input.map((i) => i.id), "resp__out2_v2", "resp__in3"]);
  });

  test("branches from one turn, stored at once and then continued, each read back their own history", async () => {
    const writer = await stores.open();
    const turns = chainTurns("resp_", 3);
    await storeAdding(writer, turns);
    const base = turns[2]!;
    const history = [...base.input, ...(base.response.output as InputItem[])];
    const branch = (name: string, previous: string, items: InputItem[], said: string[]) => ({
      response: makeResponse({ id: `resp_${name}`, previous_response_id: previous, output: [] }),
      input: items,
      messages: said.map((content) => ({ role: "user" as const, content })),
    });
    // Two turns on resp_3 at once (both built on what the writer remembers of it), then one on each.
    const a = branch("4a", "resp_3", [userMessage("in_4a")], ["4a"]);
    const b = branch("4b", "resp_3", [userMessage("in_4b")], ["4b"]);
    await Promise.all([a, b].map((t) => writer.storeTurn(t.response, t.input, t.messages, { user: alice })));
    const a5 = branch("5a", "resp_4a", [userMessage("in_5a")], ["5a"]);
    const b5 = branch("5b", "resp_4b", [userMessage("in_5b")], ["5b"]);
    for (const t of [a5, b5]) await writer.storeTurn(t.response, t.input, t.messages, { user: alice });
    const whole = (...path: ReturnType<typeof branch>[]) => ({
      ...path.at(-1)!.response,
      input: [...history, ...path.flatMap((t) => t.input)],
      messages: [...base.messages, ...path.flatMap((t) => t.messages)],
    });
    const reader = await stores.open();
    for (const store of [writer, reader]) {
      expect(await store.getResponseObject("resp_4a", { user: alice })).toEqual(whole(a));
      expect(await store.getResponseObject("resp_4b", { user: alice })).toEqual(whole(b));
      expect(await store.getResponseObject("resp_5a", { user: alice })).toEqual(whole(a, a5));
      expect(await store.getResponseObject("resp_5b", { user: alice })).toEqual(whole(b, b5));
    }
  });

  test("bad calls are typed errors and write nothing; what the caller changes after the call is not stored", async () => {
    const store = await stores.open();
    const turns = chainTurns("resp_", 2);
    await storeAdding(store, turns);
    await expect(store.storeTurn(makeResponse({ id: "resp_x" }), [userMessage("a")], [], { user: alice })).rejects.toBeInstanceOf(
      InvalidParameterError,
    );
    const orphan = makeResponse({ id: "resp_y", previous_response_id: "resp_missing" });
    await expect(store.storeTurn(orphan, [userMessage("a")], [], { user: alice })).rejects.toBeInstanceOf(ResponseNotFoundError);
    const bobs = makeResponse({ id: "resp_z", previous_response_id: "resp_2" });
    await expect(store.storeTurn(bobs, [userMessage("a")], [], { user: bob })).rejects.toBeInstanceOf(ResponseNotFoundError);
    const bad = makeResponse({ id: "resp_w", previous_response_id: "resp_2" });
    await expect(store.storeTurn(bad, [{ type: "message" }], [], { user: alice })).rejects.toBeInstanceOf(ValidationError);
    for (const id of ["resp_x", "resp_y", "resp_z", "resp_w"])
      await expect(store.getResponseObject(id, { user: alice })).rejects.toBeInstanceOf(ResponseNotFoundError);

    const question = userMessage("resp__in3", "as asked");
    const message = { role: "user" as const, content: "as asked" };
    await store.storeTurn(makeResponse({ id: "resp_3", previous_response_id: "resp_2" }), [question], [message], { user: alice });
    (question.content as { text: string }[])[0]!.text = "changed after";
    message.content = "changed after";
    const stored = await store.getResponseObject("resp_3", { user: alice });
    expect(stored.input.at(-1)).toEqual(userMessage("resp__in3", "as asked"));
    expect(stored.messages!.at(-1)).toEqual({ role: "user", content: "as asked" });
  });

  test("an item id the history holds already, added again: every cursor page is the one the same turn stored whole gives", async () => {
    const store = await stores.open();
    const turns = chainTurns("resp_", 3);
    await storeAdding(store, turns);
    const again = [userMessage("resp__in1", "again")];
    await store.storeTurn(makeResponse({ id: "resp_4", previous_response_id: "resp_3" }), again, [], { user: alice });
    const input = [...turns[2]!.input, ...(turns[2]!.response.output as InputItem[]), ...again];
    await store.storeResponseObject(makeResponse({ id: "twin_4" }), input, [], { user: alice });
    const ids = [...new Set(input.map((i) => i.id!))];
    for (const reader of [store, await stores.open()]) {
      for (const order of ["asc", "desc"] as const) {
        for (const after of [undefined, ...ids]) {
          const page = (id: string) => reader.listResponseInputItems(id, { user: alice, order, limit: 2, after });
          expect(await page("resp_4"), `${order} after ${after}`).toEqual(await page("twin_4"));
        }
      }
    }
  });
});
