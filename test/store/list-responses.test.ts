// listResponses: keyset order by (created_at, id), never losing or repeating rows that share a
// created_at second, parameter validation, and the list item shape.
import { describe, expect, test } from "vitest";
import { InvalidParameterError, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, byteCompare, listAllIds, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

const collectAll = (store: ResponsesStore, order: "asc" | "desc", limit: number, model?: string) =>
  listAllIds(store, { order, limit, model });

describe.each(PROVIDERS)("listResponses on $label", (provider) => {
  const stores = storeFactory(provider);

  test("rows that share a created_at second are each listed exactly once, in both orders", async () => {
    const store = await stores.open();
    const rows: { id: string; created_at: number }[] = [];
    // 23 rows in one second, and neighbours on both sides; ids chosen so that id order differs
    // from insertion order, with mixed case, digits and non-ASCII.
    for (let i = 0; i < 23; i++)
      rows.push({ id: `resp_${((i * 7) % 23).toString(36)}${i % 2 ? "Z" : "a"}${i === 5 ? "é" : ""}`, created_at: 1000 });
    rows.push({ id: "resp_before", created_at: 999 }, { id: "resp_after", created_at: 1001 }, { id: "resp_after2", created_at: 1001 });
    for (const r of rows) await store.storeResponseObject(makeResponse({ ...r, output: [] }), []);

    const expectedAsc = [...rows].sort((a, b) => a.created_at - b.created_at || byteCompare(a.id, b.id)).map((r) => r.id);
    for (const limit of [1, 2, 3, 5, 7, 50]) {
      expect(await collectAll(store, "asc", limit)).toEqual(expectedAsc);
      expect(await collectAll(store, "desc", limit)).toEqual([...expectedAsc].reverse());
    }
  });

  test("the reference's tie dataset: no row is skipped (the reference never returns 'c')", async () => {
    const store = await stores.open();
    const data: [string, number, string][] = [
      ["a", 100, "m1"],
      ["b", 100, "m1"],
      ["c", 100, "m2"],
      ["d", 200, "m1"],
      ["e", 300, "m2"],
    ];
    for (const [id, created_at, model] of data) await store.storeResponseObject(makeResponse({ id, created_at, model }), []);

    const p1 = await store.listResponses({ limit: 2 });
    expect(p1.data.map((r) => r.id)).toEqual(["e", "d"]);
    const p2 = await store.listResponses({ limit: 2, after: "d" });
    expect(p2.data.map((r) => r.id)).toEqual(["c", "b"]);
    expect(p2.has_more).toBe(true);
    const p3 = await store.listResponses({ limit: 2, after: "b" });
    expect(p3.data.map((r) => r.id)).toEqual(["a"]);
    expect(p3.has_more).toBe(false);

    expect(await collectAll(store, "asc", 2)).toEqual(["a", "b", "c", "d", "e"]);
    // A cursor row of another model still marks the position, as in the reference.
    const m1 = await store.listResponses({ model: "m1", after: "e" });
    expect(m1.data.map((r) => r.id)).toEqual(["d", "b", "a"]);
    expect(await collectAll(store, "desc", 1, "m1")).toEqual(["d", "b", "a"]);
  });

  test("defaults: limit 50, newest first; an empty store gives an empty page", async () => {
    const store = await stores.open();
    expect(await store.listResponses()).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
    for (let i = 0; i < 52; i++)
      await store.storeResponseObject(makeResponse({ id: `resp_${String(i).padStart(2, "0")}`, created_at: i }), []);
    const page = await store.listResponses();
    expect(page.data).toHaveLength(50);
    expect(page.first_id).toBe("resp_51");
    expect(page.last_id).toBe("resp_02");
    expect(page.has_more).toBe(true);
  });

  test("items carry the response and its input, never the internal messages", async () => {
    const store = await stores.open();
    const response = makeResponse({ id: "resp_1" });
    await store.storeResponseObject(response, [userMessage("msg_1")], [{ role: "user", content: "hi" }]);
    const [item] = (await store.listResponses()).data;
    expect(item).toEqual({ ...response, input: [userMessage("msg_1")] });
    expect(item).not.toHaveProperty("messages");
  });

  test("empty model and empty after mean no filter, as in the reference; null order means desc", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1", created_at: 1 }), []);
    await store.storeResponseObject(makeResponse({ id: "resp_2", created_at: 2 }), []);
    const page = await store.listResponses({ model: "", after: "", order: null, limit: null });
    expect(page.data.map((r) => r.id)).toEqual(["resp_2", "resp_1"]);
  });

  test.each([
    [{ limit: 0 }, "limit"],
    [{ limit: 101 }, "limit"],
    [{ limit: 2.5 }, "limit"],
    [{ limit: -1 }, "limit"],
    [{ limit: "10" }, "limit"],
    [{ order: "sideways" }, "order"],
    [{ model: 42 }, "model"],
  ])("invalid parameters %o are refused with the parameter named", async (params, param) => {
    const store = await stores.open();
    const error = await store.listResponses(params as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error).toMatchObject({ code: "INVALID_PARAMETER", param });
  });

  test("includeInput: false lists the response objects alone, in the same pages, NULs and all", async () => {
    const store = await stores.open();
    const responses = Array.from({ length: 7 }, (_, i) =>
      makeResponse({
        id: `resp_${i}`,
        created_at: 100 + (i % 3),
        output: [
          {
            type: "message",
            id: `out_${i}`,
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: `${i % 2 ? "a\u0000b" : "ab"} ☃ ${i}`, annotations: [] }],
          },
        ],
      }),
    );
    for (const [i, r] of responses.entries())
      await store.storeResponseObject(r, [userMessage(`in_${i}`, "x".repeat(5000))], [{ role: "user", content: "hi" }], { user: alice });
    let after: string | undefined;
    do {
      const full = await store.listResponses({ user: alice, limit: 3, after });
      const bare = await store.listResponses({ user: alice, limit: 3, after, includeInput: false });
      expect(bare).toEqual({ ...full, data: full.data.map(({ input: _input, ...r }) => r) });
      for (const item of bare.data) expect(item).toEqual(responses.find((r) => r.id === item.id));
      after = full.has_more ? full.last_id! : undefined;
    } while (after);
    await expect(store.listResponses({ includeInput: "no" as never })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      param: "includeInput",
    });
  });
});
