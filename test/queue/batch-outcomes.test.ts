// Each write its own outcome: a write that keeps failing transiently (here: too large for the
// server's statement timeout) fails alone, once its deadline passes; the writes batched with it
// commit. PostgreSQL, whose statement_timeout the connection URL can set.
import { expect, test } from "vitest";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

describeProviders(
  PROVIDERS.filter((p) => p.name === "postgresql"),
  "batch outcomes on $label",
  (provider) => {
    const stores = storeFactory(provider);

    test("a write that times out every time fails alone; the 15 small writes queued with it commit", { timeout: 120_000 }, async () => {
      const url = await stores.url();
      await (await stores.open()).flush(); // migrated over a connection without the timeout
      const timed = new URL(url);
      timed.searchParams.set("options", "-c statement_timeout=50");
      const store = await stores.open({
        url: timed.toString(),
        migrate: false,
        queue: { batchSize: 100, concurrency: 1, retryDeadlineMs: 3000 },
      });
      const big = { ...makeResponse({ id: "resp_big" }), padding: "x".repeat(60 * 1024 * 1024) };
      // The first write goes alone; the others wait in the buffer meanwhile and leave as one batch.
      const first = store.storeResponseObject(makeResponse({ id: "resp_first" }), []);
      const writes = [
        store.storeResponseObject(big, []),
        ...Array.from({ length: 15 }, (_, i) => store.storeResponseObject(makeResponse({ id: `resp_small_${i}` }), [userMessage(`m${i}`)])),
      ];
      await first;
      const outcomes = await Promise.allSettled(writes);
      expect(store.stats()?.splitBatches).toBeGreaterThan(0);
      expect(outcomes[0]).toMatchObject({ status: "rejected", reason: { code: "STORAGE_FAILED", retryable: true } });
      expect(outcomes.slice(1).map((o) => o.status)).toEqual(Array(15).fill("fulfilled"));
      for (let i = 0; i < 15; i++) expect(await store.getResponseObject(`resp_small_${i}`)).toMatchObject({ id: `resp_small_${i}` });
      await expect(store.getResponseObject("resp_big")).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
    });
  },
);
