// pruneResponses and storageStats on every provider: batched, oldest first, owner-aware, with a dry run.
import { describe, expect, test } from "vitest";
import { InvalidParameterError } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, listAllIds, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

describe.each(PROVIDERS)("retention on $label", (provider) => {
  const stores = storeFactory(provider);

  async function seeded() {
    const store = await stores.open();
    const users = [alice, bob, null];
    for (let i = 0; i < 12; i++) {
      await store.storeResponseObject(
        makeResponse({ id: `old_${i}`, created_at: 1000 + i, model: i % 2 ? "a" : "b" }),
        [userMessage(`m${i}`)],
        [],
        { user: users[i % 3] },
      );
    }
    await store.storeResponseObject(makeResponse({ id: "new", created_at: 5000 }), [], [], { user: alice });
    return store;
  }

  test("a user prunes only what it may delete; the cutoff is exclusive; batches report progress", async () => {
    const store = await seeded();
    const progress: number[] = [];
    const { deleted } = await store.pruneResponses({ olderThan: 1006, user: alice, batchSize: 2, onProgress: (n) => progress.push(n) });
    // alice may delete her rows and unowned ones: old_0 (alice), 2 (none), 3 (alice), 5 (none) are before 1006.
    expect(deleted).toBe(4);
    expect(progress).toEqual([2, 4]);
    // bob still sees his own rows and the unowned ones after the cutoff.
    expect(await listAllIds(store, { user: bob })).toEqual(["old_11", "old_10", "old_8", "old_7", "old_4", "old_1"]);
  });

  test("an operator prunes every owner's or one owner's rows; nothing newer is touched", async () => {
    const store = await seeded();
    expect(await store.pruneResponses({ olderThan: new Date(1006 * 1000), owner: "bob" })).toEqual({ deleted: 2 });
    expect(await store.pruneResponses({ olderThan: 4000, allOwners: true, batchSize: 3 })).toEqual({ deleted: 10 });
    expect(await listAllIds(store, { user: alice })).toEqual(["new"]);
    await expect(store.pruneResponses({ olderThan: Number.NaN })).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(store.pruneResponses({ olderThan: 1, batchSize: 0 })).rejects.toMatchObject({ param: "batchSize" });
  });

  test("storage stats count rows and bytes per model, for a user or for all owners", async () => {
    const store = await seeded();
    const all = await store.storageStats({ allOwners: true });
    expect(all.rows).toBe(13);
    expect(all.byModel.map((m) => [m.model, m.rows])).toEqual([
      ["a", 6],
      ["b", 6],
      ["gpt-4o", 1],
    ]);
    expect(all.bytes).toBe(all.byModel.reduce((n, m) => n + m.bytes, 0));
    expect(all.bytes).toBeGreaterThan(13 * 500);
    expect((await store.storageStats({ user: bob })).rows).toBe(8); // bob's 4 and the 4 unowned
  });

  test("a dry run counts what a prune would delete and deletes nothing", async () => {
    const store = await stores.open();
    for (const [id, created_at] of [
      ["resp_1", 10],
      ["resp_2", 20],
      ["resp_3", Math.floor(Date.now() / 1000)],
    ] as const)
      await store.storeResponseObject(makeResponse({ id, created_at }), [], [], { user: alice });
    await store.storeConversationMessages("conv_1", [{ role: "user", content: "hi" }], { user: alice });
    const olderThan = new Date(Date.now() - 3_600_000);
    expect(await store.pruneResponses({ olderThan, allOwners: true, dryRun: true })).toEqual({ deleted: 0, matched: 2 });
    expect(await store.pruneConversationMessages({ olderThan: new Date(Date.now() + 60_000), allOwners: true, dryRun: true })).toEqual({
      deleted: 0,
      matched: 1,
    });
    expect((await store.storageStats({ allOwners: true })).rows).toBe(3);
    expect(await store.pruneResponses({ olderThan, allOwners: true })).toEqual({ deleted: 2 });
  });
});
