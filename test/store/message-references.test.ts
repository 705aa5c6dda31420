// messageReferences: a chat message that says again what one of the turn's items says (the
// question as its own input item, the previous answer as its parent's output item) is stored as a
// reference to that item. Every read gives back the messages exactly as they were given, on any
// store of this release whether it writes references or not; a message that is not exactly an
// item's chat form is kept as given; a parent rewritten under its children leaves their messages
// whole; a reference that no longer names such an item is a StorageError, never a wrong message.
import { describe, expect, test } from "vitest";
import { StorageError, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, chainTurns, storeFactory, userMessage, type Turn } from "../support/fixtures.js";
import { execSql, storedRow } from "../support/raw-rows.js";

/** Stores `turns` with their whole lists, as a Responses server without storeTurn does. */
async function storeWhole(store: ResponsesStore, turns: readonly Turn[]): Promise<void> {
  for (const t of turns) await store.storeResponseObject(t.response, t.input, t.messages, { user: alice });
}

/** Turn `t` as getResponseObject returns it: the response with its whole input and messages. */
const whole = (t: Turn) => ({ ...t.response, input: t.input, messages: t.messages });

describe.each(PROVIDERS)("message references on $label", (provider) => {
  const stores = storeFactory(provider);

  test("messages that repeat the turn's items are stored as references and read back exactly, on a store that writes them and on one that does not", async () => {
    const writer = await stores.open({ messageReferences: true });
    const turns = chainTurns("resp_", 30);
    await storeWhole(writer, turns);
    const row = (await storedRow(provider.name, await stores.url(), "resp_20"))!;
    // The previous answer is the parent's output item, the question the row's own input item.
    expect(row.stored.messages).toEqual([{ $parent: 0 }, { $input: 0 }]);
    const reader = await stores.open(); // messageReferences off: it still reads them
    for (const t of [turns[0]!, turns[1]!, turns[19]!, turns[29]!]) {
      expect(await reader.getResponseObject(t.response.id, { user: alice })).toEqual(whole(t));
      expect(await writer.getResponseObject(t.response.id, { user: alice })).toEqual(whole(t));
    }
    // A conversation continued by a store that does not write references reads on as one.
    const more = chainTurns("resp_", 32).slice(30);
    await storeWhole(reader, more);
    expect((await storedRow(provider.name, await stores.url(), "resp_32"))!.stored.messages).toEqual([
      { role: "assistant", content: "answer 31" },
      { role: "user", content: "question 32" },
    ]);
    expect(await (await stores.open()).getResponseObject("resp_32", { user: alice })).toEqual(whole(more[1]!));
  });

  test("the same conversation stores about 1.5 KB less a turn with references, and reads count the same sizes", async () => {
    const question = (t: number) => `${"q".repeat(300)} ${t}`;
    const answer = (t: number) => `${"a".repeat(1200)} ${t}`;
    await storeWhole(await stores.open(), chainTurns("p_", 40, undefined, question, answer));
    await storeWhole(await stores.open({ messageReferences: true }), chainTurns("r_", 40, undefined, question, answer));
    const url = await stores.url();
    let saved = 0;
    for (let t = 2; t <= 40; t++) {
      const [plain, referencing] = [(await storedRow(provider.name, url, `p_${t}`))!, (await storedRow(provider.name, url, `r_${t}`))!];
      saved += JSON.stringify(plain.stored).length - JSON.stringify(referencing.stored).length;
      // full_bytes, which page budgets read, is what a read returns: the same either way.
      expect(referencing.fullBytes).toBe(plain.fullBytes);
    }
    expect(saved / 39).toBeGreaterThan(1500);
  });

  test("on storeTurn, the question is stored as a reference to the turn's own input item, on any instance", async () => {
    const writer = await stores.open({ messageReferences: true });
    const turns = chainTurns("resp_", 6);
    await writer.storeResponseObject(turns[0]!.response, turns[0]!.input, turns[0]!.messages, { user: alice });
    for (let t = 1; t < turns.length; t++) {
      const previous = turns[t - 1]!;
      const history = previous.input.length + (previous.response.output as unknown[]).length;
      const store = t % 2 ? writer : await stores.open({ messageReferences: true });
      await store.storeTurn(turns[t]!.response, turns[t]!.input.slice(history), turns[t]!.messages.slice(previous.messages.length), {
        user: alice,
      });
    }
    const stored = (await storedRow(provider.name, await stores.url(), "resp_6"))!.stored.messages;
    expect(stored).toContainEqual({ $input: 0 });
    const reader = await stores.open();
    for (const t of turns) expect(await reader.getResponseObject(t.response.id, { user: alice })).toEqual(whole(t));
  });

  test("a message that is not exactly an item's chat form is stored as given", async () => {
    const writer = await stores.open({ messageReferences: true });
    const [first, second] = chainTurns("resp_", 2);
    await writer.storeResponseObject(first!.response, first!.input, first!.messages, { user: alice });
    const messages = [
      { role: "user", content: "question 1" },
      { content: "answer 1", role: "assistant" }, // the keys in another order
      { role: "user", content: [{ type: "text", text: "question 2" }] }, // content parts
      { role: "user", content: "question 2", name: "ann" }, // another key
      { role: "user", content: "question 2 " }, // other text
      { role: "user", content: "question 2" },
    ] as Turn["messages"];
    await writer.storeResponseObject(second!.response, [...second!.input, userMessage("extra", "more")], messages, { user: alice });
    expect((await storedRow(provider.name, await stores.url(), "resp_2"))!.stored.messages).toEqual([
      ...messages.slice(1, 5),
      { $input: 0 },
    ]);
    const got = await (await stores.open()).getResponseObject("resp_2", { user: alice });
    expect(JSON.stringify(got.messages)).toBe(JSON.stringify(messages));
  });

  test("a parent rewritten under its children leaves their messages whole", async () => {
    const writer = await stores.open({ messageReferences: true });
    const turns = chainTurns("resp_", 4);
    await storeWhole(writer, turns);
    // The lifecycle update of turn 2 changes its output: turn 3 (which repeated it) is stored whole first.
    await writer.updateResponseObject(
      { ...turns[1]!.response, output: [{ type: "message", id: "other", role: "assistant", status: "completed", content: [] }] },
      { user: alice },
    );
    expect(await (await stores.open()).getResponseObject("resp_3", { user: alice })).toEqual(whole(turns[2]!));
    expect(await (await stores.open()).getResponseObject("resp_4", { user: alice })).toEqual(whole(turns[3]!));
    // Deleted turns that later turns build on keep what those turns refer to.
    await writer.deleteResponseObject("resp_3", { user: alice });
    expect(await (await stores.open()).getResponseObject("resp_4", { user: alice })).toEqual(whole(turns[3]!));
  });

  test("a reference edited to name an item that says no message is a StorageError, not a wrong message", async () => {
    const writer = await stores.open({ messageReferences: true });
    await storeWhole(writer, chainTurns("resp_", 3));
    const url = await stores.url();
    const edited = JSON.stringify({
      ...(await storedRow(provider.name, url, "resp_3"))!.stored,
      messages: [{ $parent: 5 }, { $input: 0 }],
    });
    await execSql(provider.name, url, `UPDATE openai_responses SET response_object = '${edited}' WHERE id = 'resp_3'`);
    const error = await (await stores.open()).getResponseObject("resp_3", { user: alice }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(String((error as StorageError).cause)).toContain("refers to item 5 of its parent's output");
  });
});
