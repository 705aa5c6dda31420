// The HTTP handler served on loopback and driven by the official `openai` npm SDK: retrieve,
// delete, input-item auto-pagination, errors as the SDK's error classes; plus the list
// extension and routing details over plain fetch.
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { createResponsesHandler, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { bearerUser, loopbackServers } from "../support/loopback.js";
import { inputItems, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

const authenticate = bearerUser;

describe.each(PROVIDERS)("HTTP API on $label, through the openai SDK", (provider) => {
  const stores = storeFactory(provider);
  const listen = loopbackServers();

  async function serve(store: ResponsesStore, basePath?: string) {
    const origin = await listen(createResponsesHandler(store, { authenticate, basePath, onError: () => {} }));
    const client = (user: string) => new OpenAI({ baseURL: `${origin}${basePath ?? "/v1"}`, apiKey: user, maxRetries: 0 });
    return { origin, client };
  }

  test("retrieve returns the stored response; delete deletes; missing and not-yours are 404", async () => {
    const store = await stores.open();
    const response = makeResponse({ id: "resp_1", metadata: { topic: "demo" } });
    await store.storeResponseObject(response, [userMessage("m1")], [{ role: "user", content: "hi" }], { user: { principal: "alice" } });
    const { client } = await serve(store);
    const alice = client("alice");

    const got = await alice.responses.retrieve("resp_1");
    expect(got).toMatchObject({ ...response });
    expect(got).not.toHaveProperty("input");
    expect(got).not.toHaveProperty("messages");
    expect(got.output_text).toBe("Hello!"); // the SDK's own addition works on our body

    const notYours = await client("bob")
      .responses.retrieve("resp_1")
      .catch((e: unknown) => e);
    expect(notYours).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notYours).toMatchObject({ status: 404, code: "response_not_found", param: "response_id", type: "invalid_request_error" });
    expect((notYours as Error).message).toContain("Response with id resp_1 not found");
    await expect(alice.responses.retrieve("resp_nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    await expect(client("bob").responses.delete("resp_1")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await alice.responses.delete("resp_1");
    await expect(alice.responses.retrieve("resp_1")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(alice.responses.delete("resp_1")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("inputItems.list auto-paginates through every item, in both orders, with include", async () => {
    const store = await stores.open();
    const items = [
      ...inputItems(23),
      { type: "message", role: "user", id: "msg_img", content: [{ type: "input_image", detail: "auto", image_url: "https://x/y.png" }] },
    ];
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), items);
    const { client } = await serve(store);
    const c = client("anonymous");

    const seen: string[] = [];
    for await (const item of c.responses.inputItems.list("resp_1", { limit: 5 })) seen.push(item.id);
    expect(seen).toEqual([...items].reverse().map((i) => i.id));

    const asc: string[] = [];
    for await (const item of c.responses.inputItems.list("resp_1", { limit: 7, order: "asc" })) asc.push(item.id);
    expect(asc).toEqual(items.map((i) => i.id));

    const first = await c.responses.inputItems.list("resp_1", { limit: 1 });
    expect(first.data[0]).toMatchObject({ id: "msg_img", content: [{ image_url: null }] });
    expect(first.has_more).toBe(true);
    const included = await c.responses.inputItems.list("resp_1", { limit: 1, include: ["message.input_image.image_url"] });
    expect(included.data[0]).toMatchObject({ content: [{ image_url: "https://x/y.png" }] });
  });

  test("items stored without ids are listed with ids of their own, so paging reaches all of them, in both orders", async () => {
    const store = await stores.open();
    // As callers usually pass input: { role, content }, a tool call output, a reference with a null type.
    const items = Array.from({ length: 45 }, (_, i) =>
      i % 3 === 0 ? { type: "function_call_output", call_id: `call_${i}`, output: `${i}` } : { role: "user", content: `question ${i}` },
    );
    const withReference = [...items, { type: null, id: "msg_earlier" }, userMessage("msg_given")];
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), withReference);
    await store.storeResponseObject(makeResponse({ id: "resp_2" }), items);
    const c = (await serve(store)).client("anonymous");

    const listed = withReference.map((item) => ("id" in item ? item : { ...item, id: expect.stringMatching(/^(msg|item)_[0-9a-f]{32}$/) }));
    for (const order of ["desc", "asc"] as const) {
      const seen: OpenAI.Responses.ResponseItem[] = [];
      for await (const item of c.responses.inputItems.list("resp_1", { limit: 20, order })) seen.push(item);
      expect(seen).toEqual(order === "asc" ? listed : [...listed].reverse());
      const ids = seen.map((item) => item.id);
      expect(new Set(ids).size).toBe(47);
      expect(ids).toContain("msg_given");
      expect(ids).toContain("msg_earlier");
      expect(ids.filter((id) => id.startsWith("msg_")).length).toBe(32);
    }
    // Stable across reads, different in another response holding the same items.
    const once = (await store.listResponseInputItems("resp_1", { limit: 100, order: "asc" })).data.map((i) => i.id);
    const again = (await c.responses.inputItems.list("resp_1", { limit: 100, order: "asc" })).data.map((i) => i.id);
    expect(again).toEqual(once);
    const other = (await store.listResponseInputItems("resp_2", { limit: 100, order: "asc" })).data.map((i) => i.id);
    expect(other.some((id) => once.includes(id))).toBe(false);
    // A derived id is a cursor like any other, in the library too; the stored input is as given.
    const after = await store.listResponseInputItems("resp_1", { after: once[9]!, limit: 2, order: "asc" });
    expect(after.data.map((i) => i.id)).toEqual(once.slice(10, 12));
    expect((await store.getResponseObject("resp_1")).input).toEqual(withReference);
  });

  test("bad parameters are 400s naming the parameter", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), inputItems(3));
    const { client } = await serve(store);
    const c = client("anonymous");
    const badLimit = await c.responses.inputItems.list("resp_1", { limit: 0 }).catch((e: unknown) => e);
    expect(badLimit).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badLimit).toMatchObject({ status: 400, param: "limit", code: "invalid_parameter" });
    await expect(c.responses.inputItems.list("resp_1", { include: ["nope" as never] })).rejects.toMatchObject({
      status: 400,
      param: "include",
    });
    await expect(c.responses.inputItems.list("resp_1", { after: "msg_zzz" })).rejects.toMatchObject({
      status: 404,
      code: "input_item_not_found",
    });
    await expect(c.responses.inputItems.list("resp_1", { after: "msg_1", before: "msg_2" } as never)).rejects.toMatchObject({
      status: 400,
    });
  });

  test("the list extension, routing and a custom base path over plain fetch", async () => {
    const store = await stores.open();
    for (let i = 0; i < 5; i++)
      await store.storeResponseObject(makeResponse({ id: `resp_${i}`, created_at: i, model: i % 2 ? "a" : "b" }), [userMessage(`m${i}`)]);
    const { origin } = await serve(store, "/api/openai/v1/");
    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${origin}/api/openai/v1${path}`, init);
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
    };
    const page = await get("/responses?limit=2&order=asc");
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ object: "list", first_id: "resp_0", last_id: "resp_1", has_more: true });
    expect(page.body.data[0].input).toEqual([userMessage("m0")]);
    const bare = await get("/responses?limit=2&order=asc&include_input=false");
    expect(bare.body).toMatchObject({ object: "list", first_id: "resp_0", last_id: "resp_1", has_more: true });
    expect(bare.body.data[0]).toEqual(makeResponse({ id: "resp_0", created_at: 0, model: "b" }));
    expect(await get("/responses?include_input=maybe")).toMatchObject({ status: 400, body: { error: { param: "includeInput" } } });
    expect((await get("/responses?model=a")).body.data.map((r: { id: string }) => r.id)).toEqual(["resp_3", "resp_1"]);
    expect((await get("/responses?after=resp_3")).body.data.map((r: { id: string }) => r.id)).toEqual(["resp_2", "resp_1", "resp_0"]);
    expect(await get("/responses?limit=abc")).toMatchObject({ status: 400, body: { error: { param: "limit" } } });
    expect(await get("/responses?after=nope")).toMatchObject({ status: 400, body: { error: { param: "after" } } });
    // A completed response without stored events has no stream (a 400, not an empty one); a bad cursor is a 400 before the stream starts.
    expect(await get("/responses/resp_1?stream=true")).toMatchObject({ status: 400, body: { error: { param: "stream" } } });
    expect(await get("/responses/resp_1?stream=true&starting_after=x")).toMatchObject({
      status: 400,
      body: { error: { param: "starting_after" } },
    });
    expect(await get("/nothing/here")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    const post = await get("/responses/resp_1", { method: "POST" });
    expect(post).toMatchObject({ status: 405, body: { error: { code: "method_not_allowed" } } });
    expect(post.headers.get("allow")).toBe("GET, DELETE");
    expect((await fetch(`${origin}/v1/responses`)).status).toBe(404); // outside the base path
    expect((await get(`/responses/${encodeURIComponent("resp_1")}`)).body.id).toBe("resp_1");
  });
});
