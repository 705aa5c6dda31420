// A database outage in the middle of a write load: a PostgreSQL cluster of the test's own is
// stopped for several seconds and started again. Nothing that was acknowledged is lost, every
// caller either succeeds or gets a typed error, and the queue retries through the outage.
import { afterAll, describe, expect, test } from "vitest";
import { createResponsesStore, isResponsesStoreError, type ResponsesStore } from "../../src/index.js";
import { listAllIds, makeResponse, silentLogger, userMessage } from "../support/fixtures.js";
import { canRunThrowawayPostgres, startThrowawayPostgres, type ThrowawayPostgres } from "../support/throwaway-postgres.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canRunThrowawayPostgres)("a PostgreSQL outage during a write load", () => {
  let pg: ThrowawayPostgres | undefined;
  afterAll(() => pg?.destroy());

  test("loses nothing: acknowledged writes are all there, failures are typed, retries carry the rest", { timeout: 120_000 }, async () => {
    pg = await startThrowawayPostgres();
    const store: ResponsesStore = await createResponsesStore({
      url: pg.url,
      logger: silentLogger,
      queue: { concurrency: 4, batchSize: 20, retryDeadlineMs: 60_000 },
    });
    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    let stopWriting = false;
    // 16 writers, each storing one response after another until told to stop.
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; !stopWriting; i++) {
        const id = `resp_${w}_${i}`;
        try {
          await store.storeResponseObject(makeResponse({ id, created_at: 1000 + i }), [userMessage(`m_${id}`)]);
          acknowledged.push(id);
        } catch (error) {
          failures.push(error);
        }
        await sleep(5);
      }
    });

    await sleep(1000);
    const beforeOutage = acknowledged.length;
    pg.stop();
    await sleep(4000);
    const duringOutage = acknowledged.length;
    pg.start();
    await sleep(3000);
    stopWriting = true;
    await Promise.all(writers);

    expect(beforeOutage).toBeGreaterThan(50);
    expect(duringOutage - beforeOutage).toBeLessThan(20); // the server was really gone
    expect(acknowledged.length).toBeGreaterThan(duringOutage + 50); // and writing resumed after it
    expect(store.stats()!.retries).toBeGreaterThan(0);
    for (const error of failures) expect(isResponsesStoreError(error)).toBe(true);
    expect(
      failures.map(
        (e) =>
          `${(e as Error).message} ${JSON.stringify((e as { cause?: unknown }).cause, Object.getOwnPropertyNames((e as { cause?: object }).cause ?? {}))}`,
      ),
    ).toEqual([]); // the 60 s deadline outlasts a 4 s outage: every write got through

    // Every acknowledged write is stored, read through a fresh store.
    await store.shutdown();
    const reader = await createResponsesStore({ url: pg.url, logger: silentLogger, queue: { enabled: false } });
    const stored = new Set(await listAllIds(reader));
    await reader.shutdown();
    const missing = acknowledged.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
  });

  test("past the retry deadline, callers get a retryable StorageError instead of waiting forever", { timeout: 60_000 }, async () => {
    pg ??= await startThrowawayPostgres();
    const store = await createResponsesStore({ url: pg.url, logger: silentLogger, queue: { retryDeadlineMs: 1500 } });
    await store.storeResponseObject(makeResponse({ id: "resp_before" }), []);
    pg.stop();
    try {
      const error = await store.storeResponseObject(makeResponse({ id: "resp_during" }), []).catch((e: unknown) => e);
      expect(isResponsesStoreError(error, "STORAGE_FAILED")).toBe(true);
      expect(error).toMatchObject({ retryable: true });
      expect((error as { attempts: number }).attempts).toBeGreaterThan(1);
    } finally {
      pg.start();
    }
    await store.storeResponseObject(makeResponse({ id: "resp_after" }), []);
    expect((await store.getResponseObject("resp_after")).id).toBe("resp_after");
    await store.shutdown();
  });
});
