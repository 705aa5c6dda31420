// Hostile or careless input gets a typed error and writes nothing, the same on every engine:
// every public method given null, undefined or a wrong type; cycles; nesting past the one
// documented depth (MariaDB's limit, kept everywhere); item types named like Object.prototype
// members; and own `__proto__` keys, which round-trip exactly, remembered turns included.
import { describe, expect, test } from "vitest";
import { INCLUDE_VALUES, isResponsesStoreError, type InputItem, type ResponsesStore } from "../../src/index.js";
import { MAX_STORED_DEPTH } from "../../src/schemas/json.js";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

const alice = { principal: "alice" };

/** An object nesting `levels` objects deep, itself included: { a: { a: ... "leaf" } }. */
function nested(levels: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

const WRONG: unknown[] = [null, undefined, 0, 42, "x", "", true, [], {}, () => 1, Symbol("s"), 10n, new Date(0), Number.NaN];

describeProviders(PROVIDERS, "hostile input on $label", (provider) => {
  const stores = storeFactory(provider);

  /** Every public call with one argument replaced by `value`. */
  function calls(store: ResponsesStore, value: unknown): [string, () => Promise<unknown>][] {
    const v = value as never;
    const response = makeResponse({ id: "resp_wrong" });
    return [
      ["storeResponseObject(response)", () => store.storeResponseObject(v, [])],
      ["storeResponseObject(input)", () => store.storeResponseObject(response, v)],
      ["storeResponseObject(messages)", () => store.storeResponseObject(response, [], v)],
      ["storeResponseObject(options)", () => store.storeResponseObject(response, [], [], v)],
      ["storeResponseObject(options.user)", () => store.storeResponseObject(response, [], [], { user: v })],
      ["updateResponseObject(response)", () => store.updateResponseObject(v)],
      ["updateResponseObject(options)", () => store.updateResponseObject(makeResponse({ id: "resp_1" }), v)],
      ["updateResponseObject(options.input)", () => store.updateResponseObject(makeResponse({ id: "resp_1" }), { input: v })],
      ["getResponseObject(id)", () => store.getResponseObject(v)],
      ["getResponseObject(options)", () => store.getResponseObject("resp_1", v)],
      ["listResponses(params)", () => store.listResponses(v)],
      ["listResponses(params.limit)", () => store.listResponses({ limit: v })],
      ["listResponses(params.includeInput)", () => store.listResponses({ includeInput: v })],
      ["deleteResponseObject(id)", () => store.deleteResponseObject(v)],
      ["deleteResponseObject(options)", () => store.deleteResponseObject("resp_none", v)],
      ["listResponseInputItems(id)", () => store.listResponseInputItems(v)],
      ["listResponseInputItems(params)", () => store.listResponseInputItems("resp_1", v)],
      ["listResponseInputItems(params.include)", () => store.listResponseInputItems("resp_1", { include: v })],
      ["pruneResponses(params)", () => store.pruneResponses(v)],
      ["pruneResponses(params.olderThan)", () => store.pruneResponses({ olderThan: v })],
      ["pruneResponses(params.allOwners)", () => store.pruneResponses({ olderThan: 0, allOwners: v })],
      ["pruneResponses(params.onProgress)", () => store.pruneResponses({ olderThan: 0, onProgress: v })],
      ["storeConversationMessages(id)", () => store.storeConversationMessages(v, [])],
      ["storeConversationMessages(messages)", () => store.storeConversationMessages("conv_wrong", v)],
      ["storeConversationMessages(options)", () => store.storeConversationMessages("conv_wrong", [], v)],
      ["getConversationMessages(id)", () => store.getConversationMessages(v)],
      ["getConversationMessages(options)", () => store.getConversationMessages("conv_1", v)],
      ["deleteConversationMessages(id)", () => store.deleteConversationMessages(v)],
      ["pruneConversationMessages(params)", () => store.pruneConversationMessages(v)],
      ["storageStats(params)", () => store.storageStats(v)],
      ["storageStats(params.allOwners)", () => store.storageStats({ allOwners: v })],
      ["ownerCounts(params)", () => store.ownerCounts(v)],
      ["importResponses(records)", () => store.importResponses(v)],
      ["importResponses([record])", () => store.importResponses([v])],
      ["compactResponses(params)", () => store.compactResponses(v)],
      ["compactResponses(params.onProgress)", () => store.compactResponses({ onProgress: v })],
    ];
  }

  test("every public method given null, undefined or a wrong type answers a typed error or works; a refused call writes nothing", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), [userMessage("msg_1")], [], { user: alice });
    const untyped: string[] = [];
    for (const value of WRONG) {
      for (const [name, call] of calls(store, value)) {
        let refused = false;
        try {
          await call();
        } catch (error) {
          refused = true;
          if (!isResponsesStoreError(error))
            untyped.push(`${name} with ${String(value)}: ${(error as Error).name}: ${(error as Error).message}`);
        }
        const written = [
          await store.getResponseObject("resp_wrong").then(
            () => "resp_wrong",
            () => undefined,
          ),
          (await store.getConversationMessages("conv_wrong")) ? "conv_wrong" : undefined,
        ].filter(Boolean);
        if (refused) expect(written, `${name} with ${String(value)} was refused but wrote`).toEqual([]);
        await store.deleteResponseObject("resp_wrong").catch(() => {});
        await store.deleteConversationMessages("conv_wrong").catch(() => {});
      }
    }
    expect(untyped).toEqual([]);
    expect(await store.getResponseObject("resp_1", { user: alice })).toMatchObject({ id: "resp_1" });
  });

  test("a cycle in a response, an input item or a message is a ValidationError naming its path; nothing is written", async () => {
    const store = await stores.open();
    const loop: Record<string, unknown> = { type: "message", role: "user", content: "hi" };
    loop.self = loop;
    const response = makeResponse({ id: "resp_cycle" }) as ReturnType<typeof makeResponse> & { again?: unknown };
    response.again = response;
    const message: Record<string, unknown> = { role: "user", content: "hi" };
    message.me = [message];
    for (const [argument, call] of [
      ["input", () => store.storeResponseObject(makeResponse({ id: "resp_cycle" }), [loop])],
      ["response", () => store.storeResponseObject(response, [])],
      ["messages", () => store.storeResponseObject(makeResponse({ id: "resp_cycle" }), [], [message as never])],
    ] as const) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "VALIDATION_FAILED", argument });
      expect((error as Error).message).toMatch(/cycle/);
    }
    await expect(store.getResponseObject("resp_cycle")).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
  });

  test(`the documented depth (${MAX_STORED_DEPTH} levels for a stored response) stores and reads back; one level more is refused`, async () => {
    const store = await stores.open();
    // The response is level 1: a field may nest MAX - 1 more levels. An input item is level 3.
    const deepest = { ...makeResponse({ id: "resp_deep" }), extra: nested(MAX_STORED_DEPTH - 1) };
    const item = { type: "message", role: "user", id: "msg_deep", content: "x", extra: nested(MAX_STORED_DEPTH - 3) } as InputItem;
    await store.storeResponseObject(deepest, [item], [], { user: alice });
    expect(await store.getResponseObject("resp_deep", { user: alice })).toMatchObject({ extra: deepest.extra, input: [item] });
    const page = await store.listResponses({ user: alice, includeInput: false });
    expect(page.data.map((r) => r.id)).toEqual(["resp_deep"]);
    expect((await store.listResponses({ user: alice })).data[0]).toMatchObject({ input: [item] });
    expect((await store.listResponseInputItems("resp_deep", { user: alice })).data).toEqual([item]);

    const tooDeep = { ...makeResponse({ id: "resp_too_deep" }), extra: nested(MAX_STORED_DEPTH) };
    await expect(store.storeResponseObject(tooDeep, [], [], { user: alice })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      argument: "response",
    });
    const deepItem = { ...item, extra: nested(MAX_STORED_DEPTH - 2) } as InputItem;
    await expect(store.storeResponseObject(makeResponse({ id: "resp_too_deep" }), [deepItem], [], { user: alice })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      argument: "input",
    });
    await expect(store.getResponseObject("resp_too_deep", { user: alice })).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
  });

  test("strings no database holds as given (NUL, lone surrogates) answer the same on every engine, without the database", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), [], [], { user: { principal: "eve\ufffd" } });
    for (const id of ["a\u0000b", "resp_1\u0000", "x\ud800", "\udc00"]) {
      await expect(store.getResponseObject(id)).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
      await expect(store.deleteResponseObject(id)).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
      await expect(store.listResponseInputItems(id)).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
      await expect(store.listResponses({ after: id })).rejects.toMatchObject({ code: "INVALID_PARAMETER", param: "after" });
      expect((await store.listResponses({ model: id })).data).toEqual([]);
      expect(await store.getConversationMessages(id)).toBeNull();
      await expect(store.deleteConversationMessages(id)).rejects.toMatchObject({ code: "CONVERSATION_NOT_FOUND" });
      expect(await store.pruneResponses({ olderThan: Date.now() / 1000 + 10, owner: id })).toEqual({ deleted: 0 });
      await expect(store.storeResponseObject(makeResponse({ id }), [])).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
        argument: "response",
      });
      await expect(store.storeConversationMessages(id, [])).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
        argument: "conversation_id",
      });
    }
    // Two different principals never become one owner: eve\ud800 is refused, not folded into eve\ufffd.
    for (const user of [{ principal: "eve\ud800" }, { principal: "eve\u0000" }, { principal: "eve", attributes: { roles: ["x\ud800"] } }]) {
      await expect(store.listResponses({ user })).rejects.toMatchObject({ code: "VALIDATION_FAILED", argument: "user" });
      await expect(store.storeResponseObject(makeResponse({ id: "resp_2" }), [], [], { user })).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
    }
    expect((await store.listResponses({ user: { principal: "eve\ufffd" } })).data.map((r) => r.id)).toEqual(["resp_1"]);
    expect((await store.storageStats({ allOwners: true })).rows).toBe(1);
  });

  test("a store, an update and a conversation's messages keep what the call was given, whatever the caller changes after it", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_u", status: "queued" }), [userMessage("msg_0")], [], { user: alice });
    const update = { ...makeResponse({ id: "resp_u" }), status: "in_progress", extra: { note: "as called" } };
    const input = [userMessage("msg_1")];
    const updating = store.updateResponseObject(update, { user: alice, input });
    update.extra.note = "changed after";
    update.status = "failed";
    input.push(userMessage("msg_late"));
    (input[0]!.content as { text: string }[])[0]!.text = "changed after";
    const messages = [{ role: "user" as const, content: "as called" }];
    const storing = store.storeConversationMessages("conv_u", messages, { user: alice });
    messages.push({ role: "user", content: "late" });
    messages[0]!.content = "changed after";
    const turn = { ...makeResponse({ id: "resp_s" }), extra: { note: "as called" } };
    const turnInput = [userMessage("msg_s")];
    const storingTurn = store.storeResponseObject(turn, turnInput, [], { user: alice });
    turn.extra.note = "changed after";
    turnInput.push(userMessage("msg_pushed_after"));
    (turnInput[0]!.content as { text: string }[])[0]!.text = "changed after";
    await Promise.all([updating, storing, storingTurn]);
    const stored: { extra?: unknown; input: unknown } = await store.getResponseObject("resp_s", { user: alice });
    expect(stored.extra).toEqual({ note: "as called" });
    expect(stored.input).toEqual([userMessage("msg_s")]);
    const got = await store.getResponseObject("resp_u", { user: alice });
    expect(got).toMatchObject({ status: "in_progress", extra: { note: "as called" } });
    expect(got.input).toEqual([userMessage("msg_1")]);
    expect(await store.getConversationMessages("conv_u", { user: alice })).toEqual([{ role: "user", content: "as called" }]);
  });

  test("a turn planned against a parent that changed keeps the items the call was given, though the caller changed them after", async () => {
    const writer = await stores.open();
    const other = await stores.open();
    const turn1 = makeResponse({ id: "resp_c1" });
    const input1 = [userMessage("msg_c1", "as called")];
    await writer.storeResponseObject(turn1, input1, [], { user: alice });
    const turn2 = makeResponse({ id: "resp_c2", previous_response_id: "resp_c1" });
    const input2 = [...input1, ...(turn1.output as InputItem[]), userMessage("msg_c2")];
    await writer.storeResponseObject(turn2, input2, [], { user: alice });
    // Another instance changes turn 2's output: the writer still remembers the old one.
    await other.updateResponseObject({ ...turn2, output: [] }, { user: alice });
    const turn3 = makeResponse({ id: "resp_c3", previous_response_id: "resp_c2" });
    const input3 = [...input2, ...(turn2.output as InputItem[]), userMessage("msg_c3")];
    const storing = writer.storeResponseObject(turn3, input3, [], { user: alice });
    (input1[0]!.content as { text: string }[])[0]!.text = "changed after the call";
    await storing;
    const fresh = await stores.open();
    const got = await fresh.getResponseObject("resp_c3", { user: alice });
    expect(JSON.stringify(got.input)).toBe(JSON.stringify([userMessage("msg_c1", "as called"), ...input3.slice(1)]));
  });

  test("item types named like Object.prototype members are kept as unknown types; own __proto__ keys round-trip on every read path", async () => {
    const writer = await stores.open();
    const odd = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"].map((type, i) => ({ type, id: `odd_${i}` }));
    // An own "__proto__" key, as JSON.parse makes it (an object literal would set the prototype).
    const withProto = JSON.parse('{"type":"message","role":"user","id":"msg_p","content":"hi","__proto__":{"polluted":true}}') as InputItem;
    const turn1 = makeResponse({ id: "resp_p1" });
    const input1 = [...odd, withProto];
    await writer.storeResponseObject(turn1, input1, [], { user: alice });
    // A second turn that continues the first: the writer remembers turn 1 and stores turn 2 linked.
    const turn2 = makeResponse({ id: "resp_p2", previous_response_id: "resp_p1" });
    const input2 = [...input1, ...turn1.output, userMessage("msg_q")];
    await writer.storeResponseObject(turn2, input2, [], { user: alice });
    const fresh = await stores.open();
    for (const store of [writer, fresh]) {
      for (const [id, input] of [
        ["resp_p1", input1],
        ["resp_p2", input2],
      ] as const) {
        const got = await store.getResponseObject(id, { user: alice });
        expect(JSON.stringify(got.input)).toBe(JSON.stringify(input));
        const read = got.input.find((i) => i.id === "msg_p")!;
        expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
        expect(Object.hasOwn(read, "__proto__")).toBe(true);
        const items = await store.listResponseInputItems(id, { user: alice, order: "asc", limit: 100, include: [...INCLUDE_VALUES] });
        expect(JSON.stringify(items.data)).toBe(JSON.stringify(input));
      }
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe("the option objects of the store itself", () => {
  test.each([null, 0, "file:x.db", true, [], () => ({}), Symbol("s")])("new ResponsesStore(%s) is a ConfigurationError", async (value) => {
    const { ResponsesStore } = await import("../../src/index.js");
    expect(() => new ResponsesStore(value as never)).toThrow(expect.objectContaining({ code: "INVALID_OPTIONS" }) as Error);
  });
});
