// Automatic expiry (the `retention` option), on every configured database: with `retention`, responses older than it (by
// created_at) are deleted by a reaper that runs on one instance at a time however many run, in
// batches, each row once and none early, without holding up the app's writes; nothing expires
// without it. Waits are polls with a bound, never timings.
import { describe, expect, test, vi } from "vitest";
import { ConfigurationError, ResponsesStore, type ResponsesStore as Store } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { dialectFor, type ProviderName } from "../../src/db/providers.js";
import { alice, listAllIds, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

/** Runs `sql` on the test's database past the store. */
async function rawExec(provider: ProviderName, url: string, sql: string): Promise<void> {
  const conn = await dialectFor(provider).openRawConnection(url);
  try {
    await conn.exec(sql);
  } finally {
    await conn.close();
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const expiredBy = (stores: Store[]) => stores.reduce((n, s) => n + (s.stats()?.retention?.expired ?? 0), 0);

describe.each(PROVIDERS)("expiry on $label", (provider) => {
  const stores = storeFactory(provider);
  const reaping = { retention: { responses: "4s", every: "0.2s", batchSize: 25 } };

  test("three instances expire each old response once, keep every newer one, and the app's writes go on meanwhile", async () => {
    const [writer, ...others] = [await stores.open({ timeoutMs: 5000 }), await stores.open(reaping), await stores.open(reaping)];
    const third = await stores.open(reaping);
    const reapers = [...others, third];
    const old = nowSeconds() - 3600;
    const expired = Array.from({ length: 300 }, (_, i) => makeResponse({ id: `resp_old${i}`, created_at: old - i }));
    const fresh = Array.from({ length: 20 }, (_, i) => makeResponse({ id: `resp_new${i}`, created_at: nowSeconds() }));
    // Written while the reapers run: the old rows are deleted as they come, in batches of 25.
    await Promise.all([
      ...expired.map((r) => writer.storeResponseObject(r, [userMessage(`in_${r.id}`)], [], { user: alice })),
      ...fresh.map((r) => writer.storeResponseObject(r, [userMessage(`in_${r.id}`)], [], { user: alice })),
    ]);
    await vi.waitFor(() => expect(expiredBy(reapers)).toBe(expired.length), { timeout: 20_000, interval: 100 });
    expect((await listAllIds(writer, { user: alice })).sort()).toEqual(fresh.map((r) => r.id).sort());
    // One instance held the lease and did it all; the others only looked.
    const working = reapers.filter((s) => (s.stats()?.retention?.expired ?? 0) > 0);
    expect(working).toHaveLength(1);
    expect(reapers.filter((s) => s.stats()?.retention?.holding)).toEqual(working);
    // The fresh rows expire once they are older than the retention, not before.
    const stillFresh = makeResponse({ id: "resp_edge", created_at: nowSeconds() });
    await writer.storeResponseObject(stillFresh, [], [], { user: alice });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await writer.getResponseObject("resp_edge", { user: alice })).id).toBe("resp_edge");
    await vi.waitFor(() => expect(expiredBy(reapers)).toBe(expired.length + fresh.length + 1), { timeout: 20_000, interval: 100 });
    expect(await listAllIds(writer, { user: alice })).toEqual([]);
  });

  test("when the instance holding the lease stops, another takes over", async () => {
    const writer = await stores.open();
    const first = await stores.open(reaping);
    await writer.storeResponseObject(makeResponse({ id: "resp_a", created_at: 1 }), [], [], { user: alice });
    await vi.waitFor(() => expect(first.stats()?.retention?.expired).toBe(1), { timeout: 20_000, interval: 100 });
    const second = await stores.open(reaping);
    await first.shutdown(); // gives the lease up
    await writer.storeResponseObject(makeResponse({ id: "resp_b", created_at: 1 }), [], [], { user: alice });
    await vi.waitFor(() => expect(second.stats()?.retention?.expired).toBe(1), { timeout: 20_000, interval: 100 });
    expect(second.stats()?.retention).toMatchObject({ holding: true, errors: 0 });
  });

  test("nothing expires without retention; a bad retention is a ConfigurationError naming it", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_ancient", created_at: 1 }), []);
    await new Promise((r) => setTimeout(r, 500));
    expect((await store.getResponseObject("resp_ancient")).id).toBe("resp_ancient");
    expect(store.stats()?.retention).toBeUndefined();
    for (const [retention, option] of [
      [{ responses: "0s" }, "retention.responses"],
      [{ responses: "30" }, "retention.responses"],
      [{ responses: "30d", every: "1ms" }, "retention.every"],
      [{ responses: "30d", every: "1000w" }, "retention.every"],
      [{ respones: "30d" }, "retention"],
      [{}, "retention"],
      [{ conversations: "1h", conversationMessages: "0.5s" }, "retention.conversationMessages"],
      [{ responses: "30d", batchSize: 0 }, "retention.batchSize"],
    ] as const) {
      const refused = (() => {
        try {
          return new ResponsesStore({ url: "file:/tmp/never.db", retention: retention as never });
        } catch (error) {
          return error;
        }
      })();
      expect(refused, JSON.stringify(retention)).toBeInstanceOf(ConfigurationError);
      expect(refused).toMatchObject({ option });
    }
  });

  test("conversations and conversation messages expire when named, each by its own age; responses then stay", async () => {
    const writer = await stores.open();
    const reaper = await stores.open({ retention: { conversations: "1h", conversationMessages: "1h", every: "0.2s", batchSize: 2 } });
    const old = await writer.conversations.create({ items: [{ role: "user", content: "old" }], user: alice });
    const fresh = await writer.conversations.create({ items: [{ role: "user", content: "new" }], user: alice });
    await writer.storeResponseObject(makeResponse({ id: "resp_ancient", created_at: 1 }), [], [], { user: alice });
    await writer.storeConversationMessages("conv_m", [{ role: "user", content: "hi" }], { user: alice });
    // Aged past their retention by hand: a conversation by its created_at, messages by when last stored.
    await rawExec(provider.name, await stores.url(), `UPDATE conversations SET created_at = 5 WHERE id = '${old.id}'`);
    await rawExec(provider.name, await stores.url(), "UPDATE conversation_messages SET updated_at = 5");
    await vi.waitFor(
      () => expect(reaper.stats()?.retention?.expiredBy).toEqual({ responses: 0, conversations: 1, conversationMessages: 1 }),
      {
        timeout: 20_000,
        interval: 100,
      },
    );
    await expect(writer.conversations.retrieve(old.id, { user: alice })).rejects.toMatchObject({ code: "CONVERSATION_NOT_FOUND" });
    expect((await writer.conversations.retrieve(fresh.id, { user: alice })).id).toBe(fresh.id);
    expect(await writer.getConversationMessages("conv_m", { user: alice })).toBeNull();
    expect((await writer.getResponseObject("resp_ancient", { user: alice })).id).toBe("resp_ancient");
  });
});
