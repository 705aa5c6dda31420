// The reference's own unit tests (llama-stack tests/unit/utils/responses/test_responses_store.py),
// ported case by case, on every provider. Where we differ on purpose the test says so.
import { describe, expect, test } from "vitest";
import { InputItemNotFoundError, InvalidParameterError, ResponseNotFoundError } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { makeResponse, storeFactory } from "../support/fixtures.js";

const base = 1_760_000_000;
const message = (content: string, id: string) => ({ type: "message", role: "user" as const, content, id });

describe.each(PROVIDERS)("reference cases on $label", (provider) => {
  const stores = storeFactory(provider);

  async function seed(rows: [id: string, createdAt: number, model?: string][]) {
    const store = await stores.open();
    for (const [id, created_at, model = "test-model"] of rows) {
      await store.storeResponseObject(
        makeResponse({ id, created_at, model, output: [] }),
        [message(`Input for ${id}`, `input-${id}`)],
        [{ role: "user", content: `Input for ${id}` }],
      );
    }
    return store;
  }

  test("pagination basic: newest first, pages continue after the last id", async () => {
    const store = await seed([
      ["zebra-resp", base + 1],
      ["apple-resp", base + 2],
      ["moon-resp", base + 3],
      ["banana-resp", base + 4],
      ["car-resp", base + 5],
    ]);
    const p1 = await store.listResponses({ limit: 2, order: "desc" });
    expect(p1.data.map((r) => r.id)).toEqual(["car-resp", "banana-resp"]);
    expect(p1).toMatchObject({ has_more: true, first_id: "car-resp", last_id: "banana-resp" });
    const p2 = await store.listResponses({ after: "banana-resp", limit: 2, order: "desc" });
    expect(p2.data.map((r) => r.id)).toEqual(["moon-resp", "apple-resp"]);
    expect(p2.has_more).toBe(true);
    const p3 = await store.listResponses({ after: "apple-resp", limit: 2, order: "desc" });
    expect(p3.data.map((r) => r.id)).toEqual(["zebra-resp"]);
    expect(p3.has_more).toBe(false);
  });

  test("pagination ascending", async () => {
    const store = await seed([
      ["delta-resp", base + 1],
      ["charlie-resp", base + 2],
      ["alpha-resp", base + 3],
    ]);
    const p1 = await store.listResponses({ limit: 1, order: "asc" });
    expect(p1.data.map((r) => r.id)).toEqual(["delta-resp"]);
    expect(p1.has_more).toBe(true);
    const p2 = await store.listResponses({ after: "delta-resp", limit: 1, order: "asc" });
    expect(p2.data.map((r) => r.id)).toEqual(["charlie-resp"]);
    expect(p2.has_more).toBe(true);
  });

  test("pagination with a model filter", async () => {
    const store = await seed([
      ["xyz-resp", base + 1, "model-a"],
      ["def-resp", base + 2, "model-b"],
      ["pqr-resp", base + 3, "model-a"],
      ["abc-resp", base + 4, "model-b"],
    ]);
    const p1 = await store.listResponses({ limit: 1, model: "model-a", order: "desc" });
    expect(p1.data.map((r) => [r.id, r.model])).toEqual([["pqr-resp", "model-a"]]);
    expect(p1.has_more).toBe(true);
    const p2 = await store.listResponses({ after: "pqr-resp", limit: 1, model: "model-a", order: "desc" });
    expect(p2.data.map((r) => [r.id, r.model])).toEqual([["xyz-resp", "model-a"]]);
    expect(p2.has_more).toBe(false);
  });

  test("an unknown 'after' id is an invalid parameter with the reference's message", async () => {
    const store = await stores.open();
    const error = await store.listResponses({ after: "non-existent", limit: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect((error as Error).message).toBe("Record with id='non-existent' not found in table 'openai_responses'");
  });

  test("no limit means the default of 50", async () => {
    const store = await seed([
      ["omega-resp", base + 1],
      ["beta-resp", base + 2],
    ]);
    const page = await store.listResponses({ order: "desc" });
    expect(page.data.map((r) => r.id)).toEqual(["beta-resp", "omega-resp"]);
    expect(page.has_more).toBe(false);
  });

  test("get a response object; an unknown id is not found", async () => {
    const store = await seed([["test-resp", base]]);
    const got = await store.getResponseObject("test-resp");
    expect(got.id).toBe("test-resp");
    expect(got.model).toBe("test-model");
    expect(got.input).toEqual([message("Input for test-resp", "input-test-resp")]);
    expect(got.messages).toEqual([{ role: "user", content: "Input for test-resp" }]);
    await expect(store.getResponseObject("non-existent")).rejects.toThrow(new ResponseNotFoundError("non-existent").message);
    await expect(store.getResponseObject("non-existent")).rejects.toThrow("Response with id non-existent not found");
  });

  test("input items pagination with after, in both orders", async () => {
    const store = await stores.open();
    const names = ["First", "Second", "Third", "Fourth", "Fifth"];
    await store.storeResponseObject(
      makeResponse({ id: "test-resp", created_at: base }),
      names.map((n, i) => message(`${n} input`, `input-${i + 1}`)),
      [{ role: "user", content: "First input" }],
    );
    const contents = async (params: Parameters<typeof store.listResponseInputItems>[1]) =>
      (await store.listResponseInputItems("test-resp", params)).data.map((i) => (i as { content: string }).content);

    expect(await contents({ order: "desc" })).toEqual(["Fifth input", "Fourth input", "Third input", "Second input", "First input"]);
    expect(await contents({ limit: 2, order: "desc" })).toEqual(["Fifth input", "Fourth input"]);
    expect(await contents({ after: "input-5", limit: 2, order: "desc" })).toEqual(["Fourth input", "Third input"]);
    expect(await contents({ after: "input-3", limit: 2, order: "desc" })).toEqual(["Second input", "First input"]);
    expect(await contents({ limit: 2, order: "asc" })).toEqual(["First input", "Second input"]);
    expect(await contents({ after: "input-1", limit: 2, order: "asc" })).toEqual(["Second input", "Third input"]);

    await expect(store.listResponseInputItems("test-resp", { after: "non-existent" })).rejects.toThrow(
      "Input item with id 'non-existent' not found for response 'test-resp'",
    );
    await expect(store.listResponseInputItems("test-resp", { after: "non-existent" })).rejects.toBeInstanceOf(InputItemNotFoundError);
    // The reference raised NotImplementedError for any include; include is supported now and an
    // unknown value is an invalid parameter.
    await expect(store.listResponseInputItems("test-resp", { include: ["some-field" as never] })).rejects.toBeInstanceOf(
      InvalidParameterError,
    );
    await expect(store.listResponseInputItems("test-resp", { before: "some-id", after: "other-id" })).rejects.toThrow(
      "Cannot specify both 'before' and 'after' parameters",
    );
  });

  test("input items pagination with before", async () => {
    const store = await stores.open();
    await store.storeResponseObject(
      makeResponse({ id: "test-resp-before", created_at: base }),
      ["First", "Second", "Third", "Fourth", "Fifth"].map((n, i) => message(`${n} input`, `before-${i + 1}`)),
    );
    const contents = async (params: Parameters<typeof store.listResponseInputItems>[1]) =>
      (await store.listResponseInputItems("test-resp-before", params)).data.map((i) => (i as { content: string }).content);
    expect(await contents({ before: "before-3", order: "desc" })).toEqual(["Fifth input", "Fourth input"]);
    expect(await contents({ before: "before-2", limit: 2, order: "desc" })).toEqual(["Fifth input", "Fourth input"]);
    expect(await contents({ before: "before-4", order: "asc" })).toEqual(["First input", "Second input", "Third input"]);
    expect(await contents({ before: "before-5", order: "desc" })).toEqual([]);
    await expect(store.listResponseInputItems("test-resp-before", { before: "nope" })).rejects.toThrow(
      "Input item with id 'nope' not found for response 'test-resp-before'",
    );
  });

  test("both before and after are refused before the response is even looked up", async () => {
    const store = await stores.open();
    await expect(store.listResponseInputItems("no-such-response", { before: "a", after: "b" })).rejects.toThrow(
      "Cannot specify both 'before' and 'after' parameters",
    );
  });
});
