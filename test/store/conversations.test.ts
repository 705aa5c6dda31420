// The Conversations API as library calls (store.conversations, store.conversations.items), on
// every configured database: conversations with metadata and owners, items stored once at
// positions never reused, pages in both orders, the API's limits, access, concurrent appends.
import { describe, expect, test } from "vitest";
import {
  ConversationItemNotFoundError,
  ConversationLockedError,
  ConversationNotFoundError,
  ValidationError,
  type ResponsesStore,
} from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, makeResponse, storeFactory } from "../support/fixtures.js";

const said = (text: string) => ({ role: "user", content: text });
/** A message as the API keeps it: typed, its text as a part. */
const kept = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });

/** Every item id of a conversation, oldest first, page by page. */
async function allItemIds(store: ResponsesStore, id: string, user = alice, limit = 7): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.conversations.items.list(id, { user, order: "asc", limit, after });
    ids.push(...page.data.map((item) => item.id));
    if (!page.has_more) return ids;
    after = page.last_id ?? undefined;
  }
}

describe.each(PROVIDERS)("conversations on $label", (provider) => {
  const stores = storeFactory(provider);

  test("create, retrieve, update and delete a conversation, as the API answers them", async () => {
    const store = await stores.open();
    const created = await store.conversations.create({ metadata: { topic: "billing" }, items: [said("Hi")], user: alice });
    expect(created).toEqual({
      id: expect.stringMatching(/^conv_[0-9a-f]{48}$/),
      object: "conversation",
      created_at: expect.any(Number),
      metadata: { topic: "billing" },
    });
    expect(Math.abs(created.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(await store.conversations.retrieve(created.id, { user: alice })).toEqual(created);
    const updated = await store.conversations.update(created.id, { metadata: { topic: "refunds", step: "2" }, user: alice });
    expect(updated).toEqual({ ...created, metadata: { topic: "refunds", step: "2" } });
    expect(await store.conversations.update(created.id, { metadata: null, user: alice })).toMatchObject({ metadata: null });
    expect(await store.conversations.delete(created.id, { user: alice })).toEqual({
      id: created.id,
      object: "conversation.deleted",
      deleted: true,
    });
    await expect(store.conversations.retrieve(created.id, { user: alice })).rejects.toBeInstanceOf(ConversationNotFoundError);
    // Its items went with it, at once.
    await expect(store.conversations.items.list(created.id, { user: alice })).rejects.toBeInstanceOf(ConversationNotFoundError);
    await expect(store.conversations.delete(created.id, { user: alice })).rejects.toBeInstanceOf(ConversationNotFoundError);
  });

  test("items are kept in order, each with an id (assigned when absent), and paged in both orders", async () => {
    const store = await stores.open();
    const given = [said("one"), { type: "message", role: "assistant", content: [{ type: "output_text", text: "two" }], id: "msg_two" }];
    const { id } = await store.conversations.create({ items: given, user: alice });
    const more = Array.from({ length: 23 }, (_, i) =>
      i % 2 ? said(`q${i}`) : { type: "function_call_output", call_id: `c${i}`, output: `${i}` },
    );
    const added = await store.conversations.items.create(id, more, { user: alice });
    expect(added).toMatchObject({ object: "list", has_more: false });
    expect(added.data.map(({ id: _, ...item }) => item)).toEqual(more.map((item) => ("role" in item ? kept(item.content) : item)));
    for (const [i, item] of added.data.entries()) expect(item.id).toMatch(i % 2 ? /^msg_[0-9a-f]{48}$/ : /^item_[0-9a-f]{48}$/);

    const asc = await allItemIds(store, id);
    expect(asc).toHaveLength(25);
    expect(asc[1]).toBe("msg_two");
    expect(asc.slice(2)).toEqual(added.data.map((item) => item.id));
    expect(new Set(asc).size).toBe(25);
    // Newest first by default, 20 a page.
    const newest = await store.conversations.items.list(id, { user: alice });
    expect(newest.data.map((item) => item.id)).toEqual([...asc].reverse().slice(0, 20));
    expect(newest).toMatchObject({ has_more: true, first_id: asc[24], last_id: asc[5] });
    const rest = await store.conversations.items.list(id, { user: alice, after: newest.last_id! });
    expect(rest.data.map((item) => item.id)).toEqual([...asc].reverse().slice(20));
    expect(rest.has_more).toBe(false);
    // One item, as stored.
    expect(await store.conversations.items.retrieve(id, "msg_two", { user: alice })).toEqual(given[1]);
    expect(await store.conversations.items.retrieve(id, asc[0]!, { user: alice })).toEqual({ ...kept("one"), id: asc[0] });
  });

  test("deleting an item answers the conversation; the others keep their places", async () => {
    const store = await stores.open();
    const conversation = await store.conversations.create({ items: [said("a"), said("b"), said("c")], user: alice });
    const [a, b, c] = await allItemIds(store, conversation.id);
    expect(await store.conversations.items.delete(conversation.id, b!, { user: alice })).toEqual(conversation);
    expect(await allItemIds(store, conversation.id)).toEqual([a, c]);
    await expect(store.conversations.items.retrieve(conversation.id, b!, { user: alice })).rejects.toBeInstanceOf(
      ConversationItemNotFoundError,
    );
    await expect(store.conversations.items.delete(conversation.id, b!, { user: alice })).rejects.toThrow(
      `Conversation item ${b} not found`,
    );
    await expect(store.conversations.items.list(conversation.id, { user: alice, after: "msg_nope" })).rejects.toBeInstanceOf(
      ConversationItemNotFoundError,
    );
    // A later item never takes a deleted one's place.
    const [d] = (await store.conversations.items.create(conversation.id, [said("d")], { user: alice })).data;
    expect(await allItemIds(store, conversation.id)).toEqual([a, c, d!.id]);
  });

  test("gated fields are null unless included, as in input-item pages", async () => {
    const store = await stores.open();
    const image = {
      type: "message",
      role: "user",
      id: "msg_img",
      content: [{ type: "input_image", detail: "auto", image_url: "https://x/y.png" }],
    };
    const { id } = await store.conversations.create({ items: [image], user: alice });
    expect((await store.conversations.items.list(id, { user: alice })).data[0]).toMatchObject({ content: [{ image_url: null }] });
    const included = await store.conversations.items.retrieve(id, "msg_img", { user: alice, include: ["message.input_image.image_url"] });
    expect(included).toEqual(image);
  });

  test("metadata and items beyond the API's limits are ValidationErrors, and nothing is written", async () => {
    const store = await stores.open();
    const pairs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    const refused = [
      { metadata: pairs(17) },
      { metadata: { ["k".repeat(65)]: "v" } },
      { metadata: { k: "v".repeat(513) } },
      { metadata: { k: 1 } },
      { items: Array.from({ length: 1001 }, (_, i) => said(`${i}`)) },
      { items: [{ role: "user" }] },
      { items: [{ ...said("x"), id: "id ends in a space " }] },
    ];
    for (const params of refused) {
      await expect(store.conversations.create({ ...(params as object), user: alice })).rejects.toBeInstanceOf(ValidationError);
    }
    expect(
      await store.conversations.create({ metadata: pairs(16), items: Array.from({ length: 1000 }, (_, i) => said(`${i}`)), user: alice }),
    ).toMatchObject({
      metadata: pairs(16),
    });
    const { id } = await store.conversations.create({ user: alice });
    await expect(store.conversations.items.create(id, [said("ok"), { role: "robot", content: "no" }], { user: alice })).rejects.toThrow(
      /Invalid items: 1\.role/,
    );
    expect((await store.conversations.items.list(id, { user: alice })).data).toEqual([]);
    await expect(store.conversations.update(id, { metadata: pairs(17), user: alice })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.conversations.items.list(id, { user: alice, limit: 101 })).rejects.toThrow(
      "limit must be an integer between 1 and 100",
    );
  });

  test("a conversation and its items are its owner's: others see nothing, and cannot add or delete", async () => {
    const store = await stores.open();
    const { id } = await store.conversations.create({ items: [said("secret")], user: alice });
    const [item] = await allItemIds(store, id);
    for (const user of [bob, null]) {
      await expect(store.conversations.retrieve(id, { user })).rejects.toBeInstanceOf(ConversationNotFoundError);
      await expect(store.conversations.items.list(id, { user })).rejects.toBeInstanceOf(ConversationNotFoundError);
      await expect(store.conversations.items.retrieve(id, item!, { user })).rejects.toBeInstanceOf(ConversationNotFoundError);
      await expect(store.conversations.items.create(id, [said("mine now")], { user })).rejects.toBeInstanceOf(ConversationNotFoundError);
      await expect(store.conversations.items.delete(id, item!, { user })).rejects.toBeInstanceOf(ConversationNotFoundError);
      await expect(store.conversations.update(id, { metadata: { x: "y" }, user })).rejects.toBeInstanceOf(ConversationNotFoundError);
      await expect(store.conversations.delete(id, { user })).rejects.toBeInstanceOf(ConversationNotFoundError);
    }
    expect(await allItemIds(store, id)).toEqual([item]);
    // One stored without a user is everyone's under the default policy.
    const open = await store.conversations.create({ items: [said("public")] });
    expect(await store.conversations.retrieve(open.id, { user: bob })).toEqual(open);
  });

  test("two instances adding to one conversation at once: nothing lost, nothing repeated, each call's items together", async () => {
    const [one, two] = [await stores.open(), await stores.open()];
    const { id } = await one.conversations.create({ user: alice });
    const calls = Array.from({ length: 24 }, (_, call) => ({
      call,
      items: Array.from({ length: 5 }, (_, i) => said(`call ${call} item ${i}`)),
    }));
    await Promise.all(calls.map(({ call, items }) => (call % 2 ? one : two).conversations.items.create(id, items, { user: alice })));
    const texts: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await one.conversations.items.list(id, { user: alice, order: "asc", limit: 100, after });
      texts.push(...page.data.map((item) => (item as { content: { text: string }[] }).content[0]!.text));
      if (!page.has_more) break;
      after = page.last_id!;
    }
    expect(texts).toHaveLength(120);
    expect(new Set(texts).size).toBe(120);
    for (let start = 0; start < 120; start += 5) {
      const call = /^call (\d+) item 0$/.exec(texts[start]!)?.[1];
      expect(texts.slice(start, start + 5)).toEqual(Array.from({ length: 5 }, (_, i) => `call ${call} item ${i}`));
    }
  });

  test("prune deletes conversations created before the cutoff, with their items", async () => {
    const store = await stores.open();
    const old = await store.conversations.create({ items: [said("old")], user: alice });
    const kept = await store.conversations.create({ items: [said("kept")], user: bob });
    expect(await store.conversations.prune({ olderThan: old.created_at, allOwners: true })).toEqual({ deleted: 0 });
    expect(await store.conversations.prune({ olderThan: Date.now() / 1000 + 10, user: alice })).toEqual({ deleted: 1 });
    await expect(store.conversations.retrieve(old.id, { user: alice })).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect(await store.conversations.retrieve(kept.id, { user: bob })).toEqual(kept);
  });
});

describe.each(PROVIDERS)("responses in a conversation on $label", (provider) => {
  const stores = storeFactory(provider);
  const answer = (id: string) => [
    {
      type: "message",
      id: `msg_out_${id}`,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: `answer ${id}` }],
    },
  ];
  const turn = (id: string, conversation: unknown, status = "completed") =>
    makeResponse({ id, conversation, status, output: answer(id) } as never);

  const contents = async (store: ResponsesStore, id: string) =>
    (await store.conversations.items.list(id, { user: alice, order: "asc", limit: 100 })).data.map((item) => item.id);

  test("a completed response appends its input, then its output, once, in the transaction that stores it", async () => {
    const store = await stores.open();
    const { id } = await store.conversations.create({ user: alice });
    await store.storeResponseObject(turn("resp_1", id), [said("first")], [], { user: alice });
    const after = await contents(store, id);
    expect(after).toHaveLength(2);
    expect(after[1]).toBe("msg_out_resp_1");
    expect(await store.conversations.items.retrieve(id, after[0]!, { user: alice })).toMatchObject(kept("first"));
    // Stored again, or updated: nothing appended twice.
    await store.storeResponseObject(turn("resp_1", id), [said("first")], [], { user: alice });
    await store.updateResponseObject(turn("resp_1", { id }), { user: alice });
    expect(await contents(store, id)).toEqual(after);
    // The { id } form, as the SDK's Response carries it.
    await store.storeResponseObject(turn("resp_2", { id }), [said("second")], [], { user: alice });
    expect(await contents(store, id)).toHaveLength(4);
    expect(await store.getResponseObject("resp_2", { user: alice })).toMatchObject({ conversation: { id } });
  });

  test("a background response appends when it completes; failed or cancelled turns add nothing", async () => {
    const store = await stores.open();
    const { id } = await store.conversations.create({ user: alice });
    await store.storeResponseObject(turn("resp_bg", id, "in_progress"), [said("long task")], [], { user: alice });
    expect(await contents(store, id)).toEqual([]);
    await store.updateResponseObject(turn("resp_bg", id, "completed"), { user: alice });
    expect(await contents(store, id)).toHaveLength(2);
    for (const status of ["failed", "cancelled"]) {
      await store.storeResponseObject(turn(`resp_${status}`, id, "in_progress"), [said(status)], [], { user: alice });
      await store.updateResponseObject(turn(`resp_${status}`, id, status), { user: alice });
    }
    expect(await contents(store, id)).toHaveLength(2);
  });

  test("while a response is in progress on a conversation, another that would start is refused, with nothing written", async () => {
    const store = await stores.open();
    const { id } = await store.conversations.create({ user: alice });
    await store.storeResponseObject(turn("resp_a", id, "in_progress"), [said("a")], [], { user: alice });
    await expect(store.storeResponseObject(turn("resp_b", id, "queued"), [said("b")], [], { user: alice })).rejects.toBeInstanceOf(
      ConversationLockedError,
    );
    await expect(store.getResponseObject("resp_b", { user: alice })).rejects.toThrow("not found");
    await store.updateResponseObject(turn("resp_a", id, "completed"), { user: alice });
    await store.storeResponseObject(turn("resp_b", id, "queued"), [said("b")], [], { user: alice }); // free again
  });

  test("previous_response_id with conversation is a ValidationError; an unknown or another's conversation is not found", async () => {
    const store = await stores.open();
    const { id } = await store.conversations.create({ user: alice });
    await expect(
      store.storeResponseObject({ ...turn("resp_x", id), previous_response_id: "resp_0" }, [], [], { user: alice }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(store.storeResponseObject(turn("resp_y", "conv_missing"), [], [], { user: alice })).rejects.toBeInstanceOf(
      ConversationNotFoundError,
    );
    await expect(store.storeResponseObject(turn("resp_z", id), [], [], { user: bob })).rejects.toBeInstanceOf(ConversationNotFoundError);
    await expect(store.getResponseObject("resp_z", { user: bob })).rejects.toThrow("not found");
  });
});
