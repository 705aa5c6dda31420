// The OpenAI Agents SDK on the store, on every configured database: ResponsesStoreSession under
// the SDK's own run() with a scripted model, resumed by a second process; its Session methods
// and history transactions; and the SDK's own OpenAIConversationsSession against the handler.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Agent, OpenAIConversationsSession, run } from "@openai/agents";
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { ConversationHistoryConflictError, createResponsesHandler } from "../../src/index.js";
import { ResponsesStoreSession } from "../../src/agents/index.js";
import { PROVIDERS } from "../support/databases.js";
import { loopbackServers } from "../support/loopback.js";
import { alice, bob, storeFactory } from "../support/fixtures.js";
import { ScriptedModel, texts } from "../support/scripted-model.js";

const RESUME = join(import.meta.dirname, "..", "support", "agents-resume.ts");
const user = (text: string) => ({ role: "user" as const, content: text });

describe.each(PROVIDERS)("Agents SDK sessions on $label", (provider) => {
  const stores = storeFactory(provider);
  const listen = loopbackServers();

  test("run() over several turns keeps the whole history, and a second process resumes it", { timeout: 60_000 }, async () => {
    const store = await stores.open();
    const model = new ScriptedModel();
    const agent = new Agent({ name: "Assistant", model });
    const session = new ResponsesStoreSession({ store, user: alice });
    for (const question of ["one?", "two?", "three?"]) await run(agent, question, { session });
    // Each turn's model call saw every earlier question and answer.
    expect(texts(model.seen[2]!)).toEqual(["one?", "answer 1", "two?", "answer 2", "three?"]);
    const id = await session.getSessionId();
    expect(id).toMatch(/^conv_/);
    expect(texts(await session.getItems())).toEqual(["one?", "answer 1", "two?", "answer 2", "three?", "answer 3"]);

    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", RESUME, await stores.url(), id, "four?"], {
      timeout: 30_000,
    });
    expect(texts(JSON.parse(stdout) as unknown[])).toEqual(["one?", "answer 1", "two?", "answer 2", "three?", "answer 3", "four?"]);
    expect(texts(await session.getItems(2))).toEqual(["four?", "resumed 1"]);
    // The same history through the Conversations API, oldest first.
    const listed = await store.conversations.items.list(id, { user: alice, order: "asc", limit: 100 });
    expect(texts(listed.data)).toHaveLength(8);
    await expect(store.conversations.items.list(id, { user: bob })).rejects.toThrow("not found");
  });

  test("getItems, addItems, popItem and clearSession behave as the SDK's memory session does", async () => {
    const store = await stores.open();
    const session = new ResponsesStoreSession({ store, sessionId: "conv_given", user: alice });
    expect(await session.getItems()).toEqual([]);
    expect(await session.getSessionId()).toBe("conv_given"); // created on first use
    const items = [user("a"), { type: "function_call", callId: "c1", name: "f", arguments: "{}" }, user("b")];
    await session.addItems(items as never);
    expect(await session.getItems()).toEqual(items); // exactly as given: nothing added
    expect(await session.getItems(2)).toEqual(items.slice(1));
    expect(await session.getItems(0)).toEqual([]);
    expect(await session.popItem()).toEqual(user("b"));
    expect(await session.getItems()).toEqual(items.slice(0, 2));
    await session.clearSession();
    expect(await session.getItems()).toEqual([]);
    expect(await session.popItem()).toBeUndefined();
    expect(await session.getSessionId()).toBe("conv_given");
    // Another user's session on the same id sees nothing of it.
    await expect(new ResponsesStoreSession({ store, sessionId: "conv_given", user: bob }).getItems()).rejects.toThrow();
  });

  test("history transactions apply once per operation id, atomically, and refuse what no longer matches", async () => {
    const store = await stores.open();
    const session = new ResponsesStoreSession({ store, user: alice });
    const append = { type: "append_items" as const, items: [user("q1"), user("a1")] as never[] };
    await session.applyHistoryTransaction({ operationId: "op-1", transaction: append });
    await session.applyHistoryTransaction({ operationId: "op-1", transaction: append }); // a retry: nothing more
    expect(texts(await session.getItems())).toEqual(["q1", "a1"]);
    await expect(
      session.applyHistoryTransaction({ operationId: "op-1", transaction: { type: "append_items", items: [user("other")] as never[] } }),
    ).rejects.toBeInstanceOf(ConversationHistoryConflictError);
    const replace = {
      type: "replace_suffix" as const,
      expectedSuffix: [user("a1")] as never[],
      replacement: [user("a1 (edited)"), user("q2")] as never[],
    };
    await session.applyHistoryTransaction({ operationId: "op-2", transaction: replace });
    expect(texts(await session.getItems())).toEqual(["q1", "a1 (edited)", "q2"]);
    const stale = { ...replace, expectedSuffix: [user("a1")] as never[] };
    await expect(session.applyHistoryTransaction({ operationId: "op-3", transaction: stale })).rejects.toThrow("no longer matches");
    expect(texts(await session.getItems())).toEqual(["q1", "a1 (edited)", "q2"]);
    await session.applyHistoryTransaction({ operationId: "op-2", transaction: replace }); // already applied: unchanged
    expect(texts(await session.getItems())).toEqual(["q1", "a1 (edited)", "q2"]);
  });

  test("two instances adding to one session at once: nothing lost, nothing repeated, each call's items together", async () => {
    const [one, two] = [await stores.open(), await stores.open()];
    const id = await new ResponsesStoreSession({ store: one, user: alice }).getSessionId();
    const sessions = [one, two].map((store) => new ResponsesStoreSession({ store, sessionId: id, user: alice }));
    await Promise.all(
      Array.from({ length: 20 }, (_, call) => sessions[call % 2]!.addItems([user(`${call}.0`), user(`${call}.1`), user(`${call}.2`)])),
    );
    const all = texts(await sessions[0]!.getItems());
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    for (let i = 0; i < 60; i += 3) expect(all.slice(i, i + 3).map((t) => t.split(".")[1])).toEqual(["0", "1", "2"]);
  });

  test("the SDK's own OpenAIConversationsSession works against the handler, with baseURL", { timeout: 60_000 }, async () => {
    const store = await stores.open();
    const authenticate = (req: Request) => ({ principal: req.headers.get("authorization")!.replace(/^Bearer /, "") });
    const baseURL = `${await listen(createResponsesHandler(store, { authenticate, onError: () => {} }))}/v1`;
    const session = new OpenAIConversationsSession({ client: new OpenAI({ baseURL, apiKey: "alice", maxRetries: 0 }) });
    const model = new ScriptedModel();
    const agent = new Agent({ name: "Assistant", model });
    for (const question of ["one?", "two?"]) await run(agent, question, { session });
    expect(texts(model.seen[1]!)).toEqual(["one?", "answer 1", "two?"]);
    const id = await session.getSessionId();
    const listed = await store.conversations.items.list(id, { user: alice, order: "asc" });
    expect(texts(listed.data)).toEqual(["one?", "answer 1", "two?", "answer 2"]);
    expect(listed.data.every((item) => typeof item.id === "string")).toBe(true);
  });
});
