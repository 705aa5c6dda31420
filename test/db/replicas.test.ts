// Read replicas with read-your-writes, on a real primary and streaming replicas that the test
// builds from Debian's PostgreSQL (initdb, pg_basebackup -R, free loopback ports): one replica
// replays 300 ms behind (recovery_min_apply_delay), one keeps up. Each test works in its own
// ?schema= on the primary, which the replicas replicate.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createResponsesStore, ResponseNotFoundError, type ResponsesStore, type ResponsesStoreOptions } from "../../src/index.js";
import { makeResponse, silentLogger, userMessage } from "../support/fixtures.js";
import {
  canRunThrowawayPostgres,
  startStreamingReplica,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from "../support/throwaway-postgres.js";

const inSchema = (url: string, schema: string) => `${url}?schema=${schema}`;

describe.skipIf(!canRunThrowawayPostgres)(
  `read replicas ${canRunThrowawayPostgres ? "" : "(skipped: needs Debian's PostgreSQL server binaries)"}`,
  () => {
    let primary: ThrowawayPostgres;
    let lagging: ThrowawayPostgres;
    let current: ThrowawayPostgres;
    const opened: ResponsesStore[] = [];
    const open = async (schema: string, replica: ThrowawayPostgres, options: ResponsesStoreOptions = {}) => {
      const store = await createResponsesStore({
        url: inSchema(primary.url, schema),
        replicas: [inSchema(replica.url, schema)],
        logger: silentLogger,
        ...options,
      });
      opened.push(store);
      return store;
    };

    beforeAll(async () => {
      primary = await startThrowawayPostgres();
      lagging = await startStreamingReplica(primary, 300);
      current = await startStreamingReplica(primary, 0);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(opened.map((s) => s.shutdown()));
      for (const server of [current, lagging, primary]) server?.destroy();
    });

    test(
      "10,000 store-then-get pairs through one instance, 300 ms of replica lag: no miss, no stale read",
      { timeout: 240_000 },
      async () => {
        const store = await open("pairs", lagging);
        let misses = 0;
        let stale = 0;
        let next = 0;
        const ids = 5000;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < 2 * ids) {
              const n = next++;
              const id = `resp_${n % ids}`;
              const version = n < ids ? "v1" : "v2"; // the second pass re-stores every id: an older read is stale
              await store.storeResponseObject(makeResponse({ id, status: version }), [userMessage(`m${n}`)]);
              const read = await store
                .getResponseObject(id)
                .catch((e: unknown) => (e instanceof ResponseNotFoundError ? undefined : Promise.reject(e)));
              if (!read) misses++;
              else if (read.status !== version) stale++;
            }
          }),
        );
        expect({ misses, stale }).toEqual({ misses: 0, stale: 0 });
        expect(store.stats()!.replicas!.primaryFallbacks["behind-own-writes"]).toBeGreaterThan(0);
      },
    );

    test("stored on one instance, read on another at once: never not found", { timeout: 120_000 }, async () => {
      const writer = await open("instances", lagging);
      const reader = await open("instances", lagging);
      await new Promise((r) => setTimeout(r, 1000)); // the replica has replayed the new schema's tables
      let notFound = 0;
      for (let i = 0; i < 300; i++) {
        await writer.storeResponseObject(makeResponse({ id: `resp_${i}` }), []);
        await reader
          .getResponseObject(`resp_${i}`)
          .catch((e: unknown) => (e instanceof ResponseNotFoundError ? notFound++ : Promise.reject(e)));
        await reader
          .listResponseInputItems(`resp_${i}`)
          .catch((e: unknown) => (e instanceof ResponseNotFoundError ? notFound++ : Promise.reject(e)));
      }
      expect(notFound).toBe(0);
      expect(reader.stats()!.replicas!.primaryFallbacks["not-found-on-replica"]).toBeGreaterThan(0);
    });

    test(
      "updated on one instance, read on another with its consistency token: never stale under 300 ms of replica lag",
      { timeout: 120_000 },
      async () => {
        const writer = await open("tokens", lagging);
        // The reader keeps the lagging replica in rotation whatever its lag: only the token keeps its reads fresh.
        const reader = await open("tokens", lagging, { maxReplicaLagMs: 60_000 });
        await writer.storeResponseObject(makeResponse({ id: "resp_t", status: "in_progress" }), []);
        await new Promise((r) => setTimeout(r, 1000)); // replayed: the replica has the row
        let staleWithToken = 0;
        let staleWithout = 0;
        for (let i = 0; i < 100; i++) {
          const status = i % 2 ? "queued" : "in_progress"; // not final: each update may move it
          await writer.updateResponseObject(makeResponse({ id: "resp_t", status }));
          const consistencyToken = await writer.consistencyToken();
          if ((await reader.getResponseObject("resp_t", { consistencyToken })).status !== status) staleWithToken++;
          if ((await reader.listResponses({ consistencyToken })).data[0]?.status !== status) staleWithToken++;
          if ((await reader.getResponseObject("resp_t")).status !== status) staleWithout++;
        }
        expect(staleWithToken).toBe(0);
        expect(staleWithout).toBeGreaterThan(0); // what the token prevents
        const fallbacks = reader.stats()!.replicas!.primaryFallbacks;
        expect(fallbacks["behind-token"]).toBeGreaterThan(0);
        // Once the replica has replayed past it, a read with that token is the replica's again.
        const token = await writer.consistencyToken();
        await new Promise((r) => setTimeout(r, 1000));
        const served = reader.stats()!.replicas!.replicaReads;
        await reader.getResponseObject("resp_t", { consistencyToken: token });
        expect(reader.stats()!.replicas!.replicaReads).toBe(served + 1);
        // readFrom: "primary" never goes to a replica.
        await reader.getResponseObject("resp_t", { readFrom: "primary" });
        expect(reader.stats()!.replicas!.replicaReads).toBe(served + 1);
        expect(reader.stats()!.replicas!.primaryFallbacks["read-from-primary"]).toBe(1);
      },
    );

    test("a replica further behind than maxReplicaLagMs is not read from", { timeout: 120_000 }, async () => {
      const writer = await open("lag", lagging);
      const reader = await open("lag", lagging, { maxReplicaLagMs: 100 });
      await writer.storeResponseObject(makeResponse({ id: "resp_0" }), []);
      await new Promise((r) => setTimeout(r, 1000));
      let writing = true;
      const background = (async () => {
        for (let i = 1; writing; i++) await writer.storeResponseObject(makeResponse({ id: `resp_${i}` }), []);
      })();
      await new Promise((r) => setTimeout(r, 1000)); // a steady 300 ms behind
      for (let i = 0; i < 200; i++) await reader.getResponseObject("resp_0");
      writing = false;
      await background;
      const stats = reader.stats()!.replicas!;
      expect(stats.primaryFallbacks.lagging).toBeGreaterThan(150);
      expect(stats.detail[0]!.lagMs).toBeGreaterThan(100);
    });

    test("a lifecycle update followed by a get on the same instance never shows the older status", { timeout: 120_000 }, async () => {
      const store = await open("lifecycle", lagging);
      const response = makeResponse({ id: "resp_bg", status: "queued" });
      await store.storeResponseObject(response, []);
      const older: string[] = [];
      for (let i = 0; i < 200; i++) {
        await store.updateResponseObject({ ...response, status: `step_${i}` });
        const { status } = await store.getResponseObject("resp_bg");
        if (status !== `step_${i}`) older.push(`${status} after step_${i}`);
      }
      expect(older).toEqual([]);
    });

    test("under steady load with no lag, at least 90% of reads are served by the replica", { timeout: 120_000 }, async () => {
      const writer = await open("steady", current);
      const reader = await open("steady", current);
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => writer.storeResponseObject(makeResponse({ id: `resp_${i}` }), [userMessage(`m${i}`)])),
      );
      await new Promise((r) => setTimeout(r, 500)); // the replica catches up; the reader has no writes of its own
      let writing = true;
      const background = (async () => {
        for (let i = 200; writing; i++) await writer.storeResponseObject(makeResponse({ id: `resp_${i}` }), []);
      })();
      for (let i = 0; i < 2000; i++) {
        if (i % 2) await reader.getResponseObject(`resp_${i % 200}`);
        else await reader.listResponses({ limit: 20 });
      }
      writing = false;
      await background;
      const { replicaReads, primaryFallbacks } = reader.stats()!.replicas!;
      const total = replicaReads + Object.values(primaryFallbacks).reduce((a, b) => a + b, 0);
      expect(replicaReads / total).toBeGreaterThanOrEqual(0.9);
    });

    test("the replica stopped in the middle of a read load: no read fails; it rejoins when it is back", { timeout: 120_000 }, async () => {
      const writer = await open("outage", current);
      const reader = await open("outage", current);
      await Promise.all(Array.from({ length: 100 }, (_, i) => writer.storeResponseObject(makeResponse({ id: `resp_${i}` }), [])));
      await new Promise((r) => setTimeout(r, 500));
      let failures = 0;
      let reads = 0;
      let stopping: Promise<void> | undefined;
      for (let i = 0; i < 1500; i++) {
        if (i === 300) stopping = Promise.resolve().then(() => current.stop());
        await reader.getResponseObject(`resp_${i % 100}`).then(
          () => reads++,
          () => failures++,
        );
      }
      await stopping;
      expect({ reads, failures }).toEqual({ reads: 1500, failures: 0 });
      const during = reader.stats()!.replicas!;
      expect(during.outOfRotation).toBe(1);
      expect(during.primaryFallbacks.unavailable).toBeGreaterThan(0);
      current.start();
      for (let waited = 0; reader.stats()!.replicas!.outOfRotation > 0 && waited < 20_000; waited += 100)
        await new Promise((r) => setTimeout(r, 100));
      expect(reader.stats()!.replicas!.detail[0]).toMatchObject({ inRotation: true });
    });
  },
);

describe("read replica options", () => {
  test("replicas are for PostgreSQL, and must be postgresql:// URLs", async () => {
    await expect(createResponsesStore({ url: "file:/tmp/x.db", replicas: ["file:/tmp/y.db"] })).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
      option: "replicas",
    });
    await expect(createResponsesStore({ url: "postgresql://u:secret@h/db", replicas: ["mysql://u:secret@h/db"] })).rejects.toThrow(
      /not a postgresql:\/\/ URL/,
    );
    await expect(createResponsesStore({ url: "postgresql://u:secret@h/db", replicas: ["mysql://u:secret@h/db"] })).rejects.not.toThrow(
      /secret/,
    );
  });
});
