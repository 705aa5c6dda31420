// Storing and reading back: exact round trips (unicode, NUL, multi-megabyte), upsert without a
// second row, delete, and validation that writes nothing.
import { describe, expect, test } from "vitest";
import { ResponseNotFoundError, ValidationError, isResponsesStoreError } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

describe.each(PROVIDERS)("store and read on $label", (provider) => {
  const stores = storeFactory(provider);

  test("a response round-trips deep-equal with its input and messages, unknown fields kept", async () => {
    const store = await stores.open();
    const response = makeResponse({
      id: "resp_roundtrip",
      future_field: { nested: [1, 2.5, -3e-7, true, null, "x"], big: Number.MAX_SAFE_INTEGER },
      reasoning: { effort: "high", summary: null },
    });
    const input = [
      userMessage("msg_1"),
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}', id: "fc_1", status: "completed" },
      { type: "function_call_output", call_id: "call_1", output: '{"temp":21}', id: null },
      { type: "some_future_item", id: "x_1", payload: { a: 1 } },
    ];
    const messages = [
      { role: "system" as const, content: "Be brief." },
      { role: "user" as const, content: [{ type: "text", text: "Weather?" }] },
      {
        role: "assistant" as const,
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
      },
      { role: "tool" as const, tool_call_id: "call_1", content: '{"temp":21}' },
    ];
    await store.storeResponseObject(response, input, messages);
    expect(await store.getResponseObject("resp_roundtrip")).toEqual({ ...response, input, messages });
  });

  test("unicode, emoji, NUL characters and control characters round-trip exactly", async () => {
    const store = await stores.open();
    const tricky = 'NUL:\u0000 tab:\t nl:\n quote:" backslash:\\ é ü 中文 العربية 😀👩‍👩‍👧 \u2028\u2029 \u007f';
    const response = makeResponse({ id: "resp_ünï😀", model: "модель", instructions: tricky, metadata: { k: tricky } });
    await store.storeResponseObject(response, [userMessage("msg_\u0000x", tricky)], [{ role: "user", content: tricky }]);
    const got = await store.getResponseObject("resp_ünï😀");
    expect(got).toEqual({ ...response, input: [userMessage("msg_\u0000x", tricky)], messages: [{ role: "user", content: tricky }] });
    expect((await store.listResponses({ model: "модель" })).data.map((r) => r.id)).toEqual(["resp_ünï😀"]);
  });

  test("ids that differ only in case or accents are different responses", async () => {
    const store = await stores.open();
    for (const id of ["resp_a", "resp_A", "resp_á"]) await store.storeResponseObject(makeResponse({ id, model: id }), []);
    for (const id of ["resp_a", "resp_A", "resp_á"]) expect((await store.getResponseObject(id)).model).toBe(id);
    expect((await store.listResponses({ model: "resp_A" })).data).toHaveLength(1);
  });

  test("a multi-megabyte response round-trips", async () => {
    const store = await stores.open();
    const chunk = "x".repeat(1024) + "é😀";
    const input = Array.from({ length: 3000 }, (_, i) => userMessage(`msg_${i}`, chunk)); // ~3.2 MB
    const response = makeResponse({ id: "resp_big" });
    await store.storeResponseObject(response, input);
    const got = await store.getResponseObject("resp_big");
    expect(got.input).toHaveLength(3000);
    expect(got).toEqual({ ...response, input, messages: [] });
    const page = await store.listResponseInputItems("resp_big", { limit: 100, after: "msg_2000" });
    expect(page.data[0]!.id).toBe("msg_1999");
  });

  test("storing an existing id replaces it: one row, the new content", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1", status: "in_progress", created_at: 10 }), [userMessage("a")]);
    await store.storeResponseObject(makeResponse({ id: "resp_1", status: "completed", created_at: 11, model: "gpt-5" }), [
      userMessage("b"),
    ]);
    const page = await store.listResponses();
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ id: "resp_1", status: "completed", created_at: 11, model: "gpt-5", input: [userMessage("b")] });
    expect((await store.listResponses({ model: "gpt-5" })).data).toHaveLength(1);
    expect((await store.listResponses({ model: "gpt-4o" })).data).toHaveLength(0);
  });

  test("delete returns the API's deletion object; a second delete is not found", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_del" }), []);
    expect(await store.deleteResponseObject("resp_del")).toEqual({ id: "resp_del", object: "response", deleted: true });
    await expect(store.deleteResponseObject("resp_del")).rejects.toThrow("Response with id resp_del not found");
    await expect(store.getResponseObject("resp_del")).rejects.toBeInstanceOf(ResponseNotFoundError);
  });

  test.each([
    ["response", () => ({ ...makeResponse({ id: "resp_v" }), created_at: undefined }), [], [], "created_at"],
    ["response", () => ({ ...makeResponse({ id: "resp_v" }), created_at: 1.5 }), [], [], "created_at"],
    ["response", () => ({ ...makeResponse({ id: "resp_v" }), created_at: Date.now() }), [], [], "created_at"], // milliseconds
    ["response", () => ({ ...makeResponse({ id: "resp_v" }), object: "chat.completion" }), [], [], "object"],
    ["response", () => makeResponse({ id: "resp_v", model: "" }), [], [], "model"],
    ["response", () => makeResponse({ id: "resp_v ", model: "m" }), [], [], "id"],
    ["response", () => makeResponse({ id: "resp_v", output: [{ id: "x" }] as never }), [], [], "output.0.type"],
    ["response", () => makeResponse({ id: "resp_v", when: new Date() }), [], [], "when"],
    ["input", () => makeResponse({ id: "resp_v" }), [{ type: "message", role: "robot", content: "x" }], [], "0.role"],
    ["input", () => makeResponse({ id: "resp_v" }), [{ type: "function_call", name: "f", arguments: "{}" }], [], "0.call_id"],
    ["input", () => makeResponse({ id: "resp_v" }), [userMessage("m", "\ud800 lone surrogate")], [], "0.content.0.text"],
    ["input", () => makeResponse({ id: "resp_v" }), [{ type: "x", n: Number.NaN }], [], "0.n"],
    ["messages", () => makeResponse({ id: "resp_v" }), [], [{ role: "tool", content: "x" }], "0.tool_call_id"],
    ["messages", () => makeResponse({ id: "resp_v" }), [], [{ role: "wizard", content: "x" }], "0.role"],
  ])("invalid %s is refused naming the field (%#), and nothing is written", async (argument, response, input, messages, path) => {
    const store = await stores.open();
    const error = await store.storeResponseObject(response() as never, input as never, messages as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(isResponsesStoreError(error, "VALIDATION_FAILED")).toBe(true);
    expect(error).toMatchObject({ argument });
    expect((error as ValidationError).issues.map((i) => i.path.join("."))).toContain(path);
    expect((error as Error).message).toContain(`Invalid ${argument}: ${path}`);
    expect((await store.listResponses()).data).toEqual([]);
  });

  test("an invalid user is a validation error", async () => {
    const store = await stores.open();
    await expect(store.listResponses({ user: { principal: "" } })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.storeResponseObject(makeResponse({ id: "r" }), [], [], { user: { principal: 7 } as never })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      argument: "user",
    });
  });
});
