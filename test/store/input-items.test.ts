// listResponseInputItems beyond the reference cases: has_more/first_id/last_id as the official
// SDK pages them, hidden compaction items, include-gated fields, limits.
import { describe, expect, test } from "vitest";
import { INCLUDE_VALUES, InvalidParameterError } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { inputItems, makeResponse, storeFactory } from "../support/fixtures.js";

describe.each(PROVIDERS)("input items on $label", (provider) => {
  const stores = storeFactory(provider);

  test("pages the way the openai SDK follows them: after = last id until has_more is false", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), inputItems(45));
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.listResponseInputItems("resp_1", { after, limit: 20 });
      expect(page.object).toBe("list");
      expect(page.first_id).toBe(page.data[0]?.id ?? null);
      expect(page.last_id).toBe(page.data.at(-1)?.id ?? null);
      seen.push(...page.data.map((i) => i.id));
      if (!page.has_more) break;
      after = page.last_id!;
    }
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => `msg_${45 - i}`));
    const last = await store.listResponseInputItems("resp_1", { after: "msg_1" });
    expect(last).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
  });

  test("default limit is 20; limit must be 1..100", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), inputItems(25));
    expect((await store.listResponseInputItems("resp_1")).data).toHaveLength(20);
    expect((await store.listResponseInputItems("resp_1", { limit: 100 })).data).toHaveLength(25);
    for (const limit of [0, 101, 1.5, -1]) {
      await expect(store.listResponseInputItems("resp_1", { limit })).rejects.toMatchObject({ code: "INVALID_PARAMETER", param: "limit" });
    }
    await expect(store.listResponseInputItems("resp_1", { order: "up" as never })).rejects.toBeInstanceOf(InvalidParameterError);
  });

  test("compaction items are hidden before ordering, cursors and limit", async () => {
    const store = await stores.open();
    const items = [...inputItems(2), { type: "compaction", id: "cmp_1", encrypted_content: "opaque" }, ...inputItems(2, "late_")];
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), items);
    const page = await store.listResponseInputItems("resp_1", { order: "asc" });
    expect(page.data.map((i) => i.id)).toEqual(["msg_1", "msg_2", "late_1", "late_2"]);
    await expect(store.listResponseInputItems("resp_1", { after: "cmp_1" })).rejects.toThrow("Input item with id 'cmp_1' not found");
    // The stored input itself keeps the compaction item.
    expect((await store.getResponseObject("resp_1")).input).toHaveLength(5);
  });

  test("an item stored without an id is listed with one derived from its position, and that id is a cursor", async () => {
    const store = await stores.open();
    const given = [
      { type: "function_call_output", call_id: "c1", output: "1" },
      { type: "message", role: "user", content: "hi", id: "msg_1" },
      { role: "user", content: "no type, no id", id: null },
    ];
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), given);
    const page = await store.listResponseInputItems("resp_1", { order: "asc", limit: 1 });
    expect(page).toMatchObject({ first_id: expect.stringMatching(/^item_[0-9a-f]{24}00000000$/), has_more: true });
    expect(page.data).toEqual([{ ...given[0], id: page.first_id }]);
    const rest = await store.listResponseInputItems("resp_1", { order: "asc", after: page.last_id! });
    expect(rest.data.map((i) => i.id)).toEqual(["msg_1", expect.stringMatching(/^msg_[0-9a-f]{24}00000002$/)]);
    const newest = await store.listResponseInputItems("resp_1", { limit: 1 });
    expect(newest.data[0]).toEqual({ ...given[2], id: rest.last_id });
    expect((await store.getResponseObject("resp_1")).input).toEqual(given);
  });

  test("gated fields are null unless included, and the stored data is never changed", async () => {
    const store = await stores.open();
    const stored = [
      {
        type: "message",
        role: "user",
        id: "msg_img",
        content: [
          { type: "input_text", text: "look" },
          { type: "input_image", detail: "auto", image_url: "data:image/png;base64,AAAA" },
        ],
      },
      {
        type: "message",
        role: "assistant",
        id: "msg_out",
        content: [{ type: "output_text", text: "ok", annotations: [], logprobs: [{ token: "ok", logprob: -0.1, bytes: [111, 107] }] }],
      },
      {
        type: "file_search_call",
        id: "fs_1",
        queries: ["q"],
        status: "completed",
        results: [{ file_id: "f", filename: "a.txt", score: 1, text: "t", attributes: {} }],
      },
      {
        type: "reasoning",
        id: "rs_1",
        summary: [{ type: "summary_text", text: "s" }],
        content: [{ type: "reasoning_text", text: "thinking" }],
        encrypted_content: "gAAA",
      },
      { type: "message", role: "user", id: "msg_plain", content: "plain string content" },
    ];
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), stored);

    const hidden = (await store.listResponseInputItems("resp_1", { order: "asc" })).data as Record<string, any>[];
    expect(hidden[0]!.content[1].image_url).toBeNull();
    expect(hidden[0]!.content[0]).toEqual({ type: "input_text", text: "look" });
    expect(hidden[1]!.content[0].logprobs).toBeNull();
    expect(hidden[2]!.results).toBeNull();
    expect(hidden[3]!.content).toBeNull();
    expect(hidden[3]!.encrypted_content).toBeNull();
    expect(hidden[3]!.summary).toEqual([{ type: "summary_text", text: "s" }]);
    expect(hidden[4]).toEqual(stored[4]);

    const shown = (await store.listResponseInputItems("resp_1", { order: "asc", include: [...INCLUDE_VALUES] })).data;
    expect(shown).toEqual(stored);
    const some = (await store.listResponseInputItems("resp_1", { order: "asc", include: ["message.input_image.image_url"] }))
      .data as Record<string, any>[];
    expect(some[0]!.content[1].image_url).toBe("data:image/png;base64,AAAA");
    expect(some[2]!.results).toBeNull();
    expect((await store.getResponseObject("resp_1")).input).toEqual(stored);
  });
});
