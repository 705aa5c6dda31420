// The queued write path on the server databases (PostgreSQL, MySQL/MariaDB): durable
// acknowledgement, read-after-write while writes are queued, order per id, the caller's
// identity, batching, back-pressure, isolation of a permanent failure, and fire-and-forget
// failures reaching onWriteError.
import { expect, test } from "vitest";
import {
  ResponseIdConflictError,
  StorageError,
  createResponsesStore,
  isResponsesStoreError,
  type ResponsesStoreError,
} from "../../src/index.js";
import { dialectFor } from "../../src/db/providers.js";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { alice, bob, listAllIds, makeResponse, silentLogger, storeFactory, userMessage } from "../support/fixtures.js";

const SERVER_PROVIDERS = PROVIDERS.filter((p) => p.name !== "sqlite");

describeProviders(SERVER_PROVIDERS, "write queue on $label", (provider) => {
  const stores = storeFactory(provider);

  test("is on by default, and batches concurrent writers into few transactions", async () => {
    const store = await stores.open();
    await Promise.all(
      Array.from({ length: 400 }, (_, i) => store.storeResponseObject(makeResponse({ id: `resp_${i}` }), [userMessage(`m${i}`)])),
    );
    const stats = store.stats()!;
    expect(stats.written).toBe(400);
    expect(stats.failed).toBe(0);
    expect(stats.batches).toBeLessThan(400);
    expect(stats.maxBatchSize).toBeGreaterThan(1);
    expect(stats).toMatchObject({ depth: 0, inFlightBatches: 0 });
    expect(stats.meanLatencyMs).toBeGreaterThan(0);
  });

  test("a resolved store call is committed: a second store instance sees every write", async () => {
    const writer = await stores.open();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => writer.storeResponseObject(makeResponse({ id: `resp_${i}` }), [], [], { user: alice })),
    );
    const reader = await stores.open({ queue: { enabled: false } });
    expect(new Set(await listAllIds(reader, { user: alice })).size).toBe(200);
  });

  test("reads by the same instance see writes that are still queued", async () => {
    const store = await stores.open({ queue: { concurrency: 1, batchSize: 5 } });
    const pending = Array.from({ length: 100 }, (_, i) =>
      store.storeResponseObject(makeResponse({ id: `resp_${i}`, created_at: i }), [userMessage(`m${i}`)]),
    );
    // Not awaited: every read below must still see the writes made before it.
    expect((await store.getResponseObject("resp_99")).input).toEqual([userMessage("m99")]);
    expect((await store.listResponseInputItems("resp_42")).data).toEqual([userMessage("m42")]);
    expect((await store.listResponses({ limit: 100 })).data).toHaveLength(100);
    await Promise.all(pending);
    void store.storeResponseObject(makeResponse({ id: "resp_gone" }), []);
    expect(await store.deleteResponseObject("resp_gone")).toMatchObject({ deleted: true });
  });

  test("writes to one id commit in the order they were made", async () => {
    const store = await stores.open({ queue: { concurrency: 4, batchSize: 3 } });
    const writes = [];
    for (let i = 0; i < 40; i++) {
      writes.push(store.storeResponseObject(makeResponse({ id: "resp_same", status: `s${i}` }), []));
      writes.push(store.storeResponseObject(makeResponse({ id: `resp_other_${i}` }), []));
    }
    await Promise.all(writes);
    expect((await store.getResponseObject("resp_same")).status).toBe("s39");
  });

  test("each queued write keeps the identity of its caller", async () => {
    const store = await stores.open({ queue: { concurrency: 2, batchSize: 50 } });
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        store.storeResponseObject(makeResponse({ id: `resp_${i}` }), [], [], { user: i % 3 === 0 ? alice : i % 3 === 1 ? bob : null }),
      ),
    );
    expect((await store.listResponses({ user: alice, limit: 100 })).data).toHaveLength(40);
    expect((await store.listResponses({ user: bob, limit: 100 })).data).toHaveLength(40);
    expect((await store.listResponses({ limit: 100 })).data).toHaveLength(20);
    const aliceOnly = (await store.listResponses({ user: alice, limit: 100 })).data.map((r) => Number(r.id.split("_")[1]));
    expect(aliceOnly.every((i) => i % 3 !== 1)).toBe(true);
  });

  test("another owner's id in a batch is refused alone; the rest of the batch commits", async () => {
    const store = await stores.open({ queue: { concurrency: 1, batchSize: 50 } });
    await store.storeResponseObject(makeResponse({ id: "resp_alice" }), [], [], { user: alice });
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => store.storeResponseObject(makeResponse({ id: `resp_bob_${i}` }), [], [], { user: bob })),
      store.storeResponseObject(makeResponse({ id: "resp_alice", model: "stolen" }), [], [], { user: bob }),
    ]);
    expect(results.slice(0, 10).every((r) => r.status === "fulfilled")).toBe(true);
    expect(results[10]).toMatchObject({ status: "rejected", reason: expect.any(ResponseIdConflictError) });
    expect((await store.getResponseObject("resp_alice", { user: alice })).model).toBe("gpt-4o");
  });

  test("a permanent database error fails only its own write; the batch's other writes commit", async () => {
    const url = await stores.url();
    const store = await stores.open({ queue: { concurrency: 1, batchSize: 100 } });
    // A trigger that rejects one id: a real database error, not a validation error.
    const conn = await dialectFor(provider.name).openRawConnection(url);
    try {
      if (provider.name === "postgresql") {
        await conn.exec(`CREATE FUNCTION reject_poison() RETURNS trigger AS $$ BEGIN IF NEW.id = 'resp_poison' THEN RAISE EXCEPTION 'poison row'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
          CREATE TRIGGER reject_poison BEFORE INSERT OR UPDATE ON openai_responses FOR EACH ROW EXECUTE FUNCTION reject_poison();`);
      } else {
        await conn.exec(
          `CREATE TRIGGER reject_poison BEFORE INSERT ON openai_responses FOR EACH ROW BEGIN IF NEW.id = 'resp_poison' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poison row'; END IF; END`,
        );
      }
    } finally {
      await conn.close();
    }
    const first = store.storeResponseObject(makeResponse({ id: "resp_first" }), []); // occupies the worker
    const batch = Array.from({ length: 20 }, (_, i) =>
      store.storeResponseObject(makeResponse({ id: i === 7 ? "resp_poison" : `resp_${i}` }), []),
    );
    const results = await Promise.allSettled([first, ...batch]);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected).toHaveLength(1);
    const reason = (rejected[0] as PromiseRejectedResult).reason as StorageError;
    expect(reason).toBeInstanceOf(StorageError);
    expect(reason).toMatchObject({ retryable: false });
    expect(reason.message).toMatch(/poison row/);
    expect((await store.listResponses({ limit: 100 })).data).toHaveLength(20);
    expect(store.stats()!.splitBatches).toBe(1);
  });

  test("a full queue makes callers wait: depth never exceeds maxSize under a flood", async () => {
    const store = await stores.open({ queue: { concurrency: 2, batchSize: 10, maxSize: 25 } });
    let maxDepth = 0;
    let maxWaiting = 0;
    const sampler = setInterval(() => {
      const s = store.stats()!;
      maxDepth = Math.max(maxDepth, s.depth);
      maxWaiting = Math.max(maxWaiting, s.waitingForRoom);
    }, 1);
    try {
      // 300 producers, each writing 3 responses one after the other.
      await Promise.all(
        Array.from({ length: 300 }, async (_, p) => {
          for (let i = 0; i < 3; i++) await store.storeResponseObject(makeResponse({ id: `resp_${p}_${i}` }), [userMessage("m")]);
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    expect(maxDepth).toBeLessThanOrEqual(25);
    expect(maxWaiting).toBeGreaterThan(0);
    expect(store.stats()!.written).toBe(900);
  });

  test("fire-and-forget: unawaited failures reach onWriteError and the logs, never an unhandled rejection", async () => {
    const errors: [ResponsesStoreError, { id: string }][] = [];
    const logged: unknown[] = [];
    const store = await stores.open({
      onWriteError: (error, write) => errors.push([error, write]),
      logger: { ...silentLogger, warn: (...a: unknown[]) => logged.push(a), error: (...a: unknown[]) => logged.push(a) },
    });
    await store.storeResponseObject(makeResponse({ id: "resp_alice" }), [], [], { user: alice });
    void store.storeResponseObject(makeResponse({ id: "resp_alice" }), [], [], { user: bob });
    void store.storeResponseObject({ id: "resp_bad" } as never, []);
    await store.flush();
    await new Promise((r) => setTimeout(r, 10));
    expect(errors.map(([e, w]) => [e.code, w.id]).sort()).toEqual([
      ["RESPONSE_ID_CONFLICT", "resp_alice"],
      ["VALIDATION_FAILED", "resp_bad"],
    ]);
    expect(logged).toHaveLength(2);
  });

  test("shutdown drains a large backlog of unawaited writes; nothing is lost", async () => {
    const url = await stores.url();
    const store = await createResponsesStore({ url, logger: silentLogger, queue: { concurrency: 2, batchSize: 20 } });
    const pending = Array.from({ length: 500 }, (_, i) => store.storeResponseObject(makeResponse({ id: `resp_${i}` }), []));
    await store.shutdown();
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.every((o) => o.status === "fulfilled")).toBe(true);
    const reader = await stores.open({ queue: { enabled: false } });
    expect((await reader.listResponses({ limit: 100 })).has_more).toBe(true);
    expect(await listAllIds(reader)).toHaveLength(500);
    await expect(store.storeResponseObject(makeResponse({ id: "late" }), [])).rejects.toSatisfy((e) =>
      isResponsesStoreError(e, "STORE_CLOSED"),
    );
  });
});
