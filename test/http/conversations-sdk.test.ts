// The Conversations API over HTTP, driven by the official `openai` SDK on every configured
// database: client.conversations and client.conversations.items, auto-pagination in both
// orders, the spec's objects, and errors as the SDK's error classes.
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { createResponsesHandler, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { bearerUser, loopbackServers } from "../support/loopback.js";
import { storeFactory } from "../support/fixtures.js";

const authenticate = bearerUser;

describe.each(PROVIDERS)("Conversations API on $label, through the openai SDK", (provider) => {
  const stores = storeFactory(provider);
  const listen = loopbackServers();

  async function serve(store: ResponsesStore) {
    const origin = await listen(createResponsesHandler(store, { authenticate, onError: () => {} }));
    return { origin, client: (user: string) => new OpenAI({ baseURL: `${origin}/v1`, apiKey: user, maxRetries: 0 }) };
  }

  test("create, retrieve, update and delete a conversation", async () => {
    const { client } = await serve(await stores.open());
    const alice = client("alice");
    const created = await alice.conversations.create({
      metadata: { topic: "demo" },
      items: [{ type: "message", role: "user", content: "Hi" }],
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^conv_/),
      object: "conversation",
      created_at: expect.any(Number),
      metadata: { topic: "demo" },
    });
    expect(await alice.conversations.retrieve(created.id)).toEqual(created);
    expect(await alice.conversations.update(created.id, { metadata: { topic: "other" } })).toEqual({
      ...created,
      metadata: { topic: "other" },
    });
    await expect(client("bob").conversations.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(await alice.conversations.delete(created.id)).toEqual({ id: created.id, object: "conversation.deleted", deleted: true });
    await expect(alice.conversations.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(alice.conversations.items.list(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("items: added in one call beyond 20, auto-paginated in both orders, retrieved, deleted (answering the conversation)", async () => {
    const { client } = await serve(await stores.open());
    const alice = client("alice");
    const { id } = await alice.conversations.create({});
    const turn = Array.from({ length: 45 }, (_, i) => ({ type: "message" as const, role: "user" as const, content: `item ${i}` }));
    const added = await alice.conversations.items.create(id, { items: turn });
    expect(added.data).toHaveLength(45);
    const ids = added.data.map((item) => item.id);
    const seen = async (order: "asc" | "desc") => {
      const out: string[] = [];
      for await (const item of alice.conversations.items.list(id, { order, limit: 10 })) out.push(item.id!);
      return out;
    };
    expect(await seen("asc")).toEqual(ids);
    expect(await seen("desc")).toEqual([...ids].reverse());
    expect(await alice.conversations.items.retrieve(ids[3]!, { conversation_id: id })).toMatchObject({
      id: ids[3],
      content: [{ type: "input_text", text: "item 3" }],
    });
    const after = await alice.conversations.items.delete(ids[3]!, { conversation_id: id });
    expect(after).toMatchObject({ id, object: "conversation" });
    expect(await seen("asc")).toEqual(ids.filter((_, i) => i !== 3));
    await expect(alice.conversations.items.retrieve(ids[3]!, { conversation_id: id })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("bad input is a 400 the SDK names; a body that is not JSON is a 400 too", async () => {
    const { client, origin } = await serve(await stores.open());
    const alice = client("alice");
    const tooMuch = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    await expect(alice.conversations.create({ metadata: tooMuch })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const { id } = await alice.conversations.create({});
    await expect(alice.conversations.items.create(id, { items: [{ role: "robot" } as never] })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    await expect(alice.conversations.items.list(id, { limit: 500 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const garbled = await fetch(`${origin}/v1/conversations`, {
      method: "POST",
      body: "{not json",
      headers: { authorization: "Bearer alice" },
    });
    expect(garbled.status).toBe(400);
    expect(await garbled.json()).toMatchObject({ error: { code: "invalid_json" } });
    const missing = await fetch(`${origin}/v1/conversations/${id}/items`, {
      method: "POST",
      body: "{}",
      headers: { authorization: "Bearer alice" },
    });
    expect(missing.status).toBe(400);
  });
});
