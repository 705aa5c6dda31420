// Many writers at once on one database (one store and several), read-after-write, and the
// store's lifecycle: lazy initialization, flush, shutdown, configuration errors.
import { describe, expect, test } from "vitest";
import { ConfigurationError, ResponsesStore, StoreClosedError, createResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, listAllIds, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

describe.each(PROVIDERS)("concurrency and lifecycle on $label", (provider) => {
  const stores = storeFactory(provider);

  test("concurrent writers on three store instances: every write is visible to every instance", async () => {
    const instances = [await stores.open(), await stores.open(), await stores.open()];
    const writes = Array.from({ length: 60 }, (_, i) => {
      const store = instances[i % instances.length]!;
      return store.storeResponseObject(makeResponse({ id: `resp_${i}`, created_at: 1000 + (i % 3) }), [userMessage(`m${i}`)], [], {
        user: alice,
      });
    });
    await Promise.all(writes);
    for (const store of instances) {
      expect(new Set(await listAllIds(store, { user: alice, limit: 7 })).size).toBe(60);
    }
  });

  test("concurrent upserts of the same id leave exactly one row", async () => {
    const [a, b] = [await stores.open(), await stores.open()];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).storeResponseObject(makeResponse({ id: "resp_same", status: `s${i}` }), [])),
    );
    const page = await a.listResponses();
    expect(page.data.map((r) => r.id)).toEqual(["resp_same"]);
  });

  test("a read right after a store call returns sees the write", async () => {
    const store = await stores.open();
    for (let i = 0; i < 20; i++) {
      await store.storeResponseObject(makeResponse({ id: `resp_${i}` }), [userMessage(`m${i}`)]);
      expect((await store.getResponseObject(`resp_${i}`)).input).toEqual([userMessage(`m${i}`)]);
    }
  });

  test("new ResponsesStore() initializes on first use; initialize() is idempotent", async () => {
    const store = new ResponsesStore({ url: await stores.url() });
    await Promise.all([store.initialize(), store.initialize(), store.listResponses()]);
    await store.storeResponseObject(makeResponse({ id: "resp_lazy" }), []);
    expect((await store.getResponseObject("resp_lazy")).id).toBe("resp_lazy");
    await store.shutdown();
  });

  test("shutdown waits for unawaited writes, then refuses calls", async () => {
    const url = await stores.url();
    const store = await createResponsesStore({ url });
    const pending = Array.from({ length: 10 }, (_, i) => store.storeResponseObject(makeResponse({ id: `resp_${i}` }), []));
    await store.shutdown();
    await Promise.all(pending);
    await expect(store.listResponses()).rejects.toBeInstanceOf(StoreClosedError);
    await store.shutdown(); // idempotent
    const reader = await stores.open();
    expect((await reader.listResponses()).data).toHaveLength(10);
  });

  test("await using disposes the store", async () => {
    const url = await stores.url();
    let escaped: ResponsesStore;
    {
      await using store = await createResponsesStore({ url });
      escaped = store;
      await store.storeResponseObject(makeResponse({ id: "resp_x" }), []);
    }
    await expect(escaped.getResponseObject("resp_x")).rejects.toBeInstanceOf(StoreClosedError);
  });
});

describe("configuration", () => {
  test.each(["mongodb://localhost/x", "http://example.com", "responses.db", "redis://x"])("URL %s is refused", (url) => {
    expect(() => new ResponsesStore({ url })).toThrow(ConfigurationError);
  });

  test("a malformed access rule is refused when the store is created", () => {
    expect(() => new ResponsesStore({ url: "file:./x.db", policy: [{ permit: { actions: ["read"] }, when: "user is boss" }] })).toThrow(
      expect.objectContaining({ code: "INVALID_POLICY", ruleIndex: 0 }),
    );
  });

  test("bad option types name the option", () => {
    expect(() => new ResponsesStore({ url: "file:./x.db", migrate: "yes" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTIONS", option: "migrate" }),
    );
  });
});
