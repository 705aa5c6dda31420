// Owner isolation under the default policy: a user sees and changes its own rows and rows
// stored without a user; a caller without a user sees only the latter. "Not allowed" looks
// exactly like "not found".
import { describe, expect, test } from "vitest";
import { InvalidParameterError, ResponseIdConflictError, ResponseNotFoundError } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

describe.each(PROVIDERS)("ownership on $label", (provider) => {
  const stores = storeFactory(provider);

  async function seeded() {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_alice", created_at: 3 }), [userMessage("m1")], [], { user: alice });
    await store.storeResponseObject(makeResponse({ id: "resp_bob", created_at: 2 }), [userMessage("m2")], [], { user: bob });
    await store.storeResponseObject(makeResponse({ id: "resp_public", created_at: 1 }), [userMessage("m3")]);
    return store;
  }

  const ids = (page: { data: { id: string }[] }) => page.data.map((r) => r.id);

  test("each caller lists only what it may see, and pages are full", async () => {
    const store = await seeded();
    expect(ids(await store.listResponses({ user: alice }))).toEqual(["resp_alice", "resp_public"]);
    expect(ids(await store.listResponses({ user: bob }))).toEqual(["resp_bob", "resp_public"]);
    expect(ids(await store.listResponses())).toEqual(["resp_public"]);
    expect(ids(await store.listResponses({ user: null }))).toEqual(["resp_public"]);
    // Filtering happens in SQL before LIMIT: a page of 1 for alice is her own row and has_more is true.
    const page = await store.listResponses({ user: alice, limit: 1 });
    expect(ids(page)).toEqual(["resp_alice"]);
    expect(page.has_more).toBe(true);
    const next = await store.listResponses({ user: alice, limit: 1, after: "resp_alice" });
    expect(ids(next)).toEqual(["resp_public"]);
    expect(next.has_more).toBe(false);
  });

  test("another owner's row is not found for get, delete and input items, with the same message", async () => {
    const store = await seeded();
    for (const call of [
      () => store.getResponseObject("resp_alice", { user: bob }),
      () => store.deleteResponseObject("resp_alice", { user: bob }),
      () => store.listResponseInputItems("resp_alice", { user: bob }),
      () => store.getResponseObject("resp_alice"),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseNotFoundError);
      expect((error as Error).message).toBe(new ResponseNotFoundError("resp_alice").message);
    }
    expect((await store.getResponseObject("resp_alice", { user: alice })).id).toBe("resp_alice");
  });

  test("a cursor the caller may not see is 'not found', exactly like a missing one", async () => {
    const store = await seeded();
    const hidden = await store.listResponses({ user: bob, after: "resp_alice" }).catch((e: unknown) => e);
    const missing = await store.listResponses({ user: bob, after: "resp_nope" }).catch((e: unknown) => e);
    expect(hidden).toBeInstanceOf(InvalidParameterError);
    expect((hidden as Error).message).toBe("Record with id='resp_alice' not found in table 'openai_responses'");
    expect((missing as Error).message).toBe("Record with id='resp_nope' not found in table 'openai_responses'");
  });

  test("a user cannot overwrite another owner's row; the row stays as it was", async () => {
    const store = await seeded();
    const attempt = store.storeResponseObject(makeResponse({ id: "resp_alice", model: "hijack" }), [], [], { user: bob });
    await expect(attempt).rejects.toBeInstanceOf(ResponseIdConflictError);
    await expect(store.storeResponseObject(makeResponse({ id: "resp_alice", model: "hijack" }), [])).rejects.toBeInstanceOf(
      ResponseIdConflictError,
    );
    const kept = await store.getResponseObject("resp_alice", { user: alice });
    expect(kept.model).toBe("gpt-4o");
    expect(kept.input).toEqual([userMessage("m1")]);
  });

  test("re-storing never changes ownership: a user updating an unowned row leaves it unowned", async () => {
    const store = await seeded();
    await store.storeResponseObject(makeResponse({ id: "resp_public", created_at: 1, instructions: "changed" }), [], [], { user: alice });
    expect(await store.getResponseObject("resp_public")).toMatchObject({ instructions: "changed" });
    expect(ids(await store.listResponses({ user: bob }))).toContain("resp_public");
  });

  test("a user may delete its own and unowned rows; others' rows survive a delete attempt", async () => {
    const store = await seeded();
    await expect(store.deleteResponseObject("resp_bob", { user: alice })).rejects.toBeInstanceOf(ResponseNotFoundError);
    expect(await store.deleteResponseObject("resp_alice", { user: alice })).toEqual({
      id: "resp_alice",
      object: "response",
      deleted: true,
    });
    expect(await store.deleteResponseObject("resp_public", { user: alice })).toEqual({
      id: "resp_public",
      object: "response",
      deleted: true,
    });
    expect(ids(await store.listResponses({ user: bob }))).toEqual(["resp_bob"]);
  });
});
