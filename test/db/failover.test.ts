// A primary with a synchronous standby, built by the test from Debian's PostgreSQL on free
// loopback ports. Through one multi-host URL naming both, writes go on across a crash of the
// primary (kill -9) and the standby's promotion, and no acknowledged write is lost. A dead
// synchronous standby and a frozen primary (SIGSTOP) make every call that needs them fail
// with a retryable StorageError within its deadline and a second, instead of hanging.
import { afterEach, describe, expect, test } from "vitest";
import { createResponsesStore, type ResponsesStore } from "../../src/index.js";
import { timed } from "../support/timed.js";
import { makeResponse, silentLogger, userMessage } from "../support/fixtures.js";
import {
  canRunThrowawayPostgres,
  startSynchronousPair,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from "../support/throwaway-postgres.js";

const both = (a: ThrowawayPostgres, b: ThrowawayPostgres) => `postgresql://postgres@127.0.0.1:${a.port},127.0.0.1:${b.port}/postgres`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!canRunThrowawayPostgres)(
  `failover and stuck servers ${canRunThrowawayPostgres ? "" : "(skipped: needs Debian's PostgreSQL server binaries)"}`,
  () => {
    const servers: ThrowawayPostgres[] = [];
    const stores: ResponsesStore[] = [];
    afterEach(async () => {
      for (const server of servers) server.freeze(false);
      await Promise.all(stores.splice(0).map((s) => s.shutdown().catch(() => {})));
      for (const server of servers.splice(0)) server.destroy();
    });
    /** A primary with its synchronous standby, stopped after the test. */
    const pair = async () => {
      const built = await startSynchronousPair();
      servers.push(built.standby, built.primary);
      return built;
    };
    const open = async (url: string, timeoutMs: number) => {
      const store = await createResponsesStore({ url, timeoutMs, logger: silentLogger });
      stores.push(store);
      return store;
    };

    test(
      "kill -9 of the primary, then promotion: writes go on through the same URL, and none acknowledged is lost",
      { timeout: 120_000 },
      async () => {
        const { primary, standby } = await pair();
        const store = await open(both(primary, standby), 20_000);
        const acknowledged: string[] = [];
        const failed: unknown[] = [];
        let writing = true;
        let next = 0;
        const writers = Array.from({ length: 8 }, async () => {
          while (writing) {
            const id = `resp_${next++}`;
            await store.storeResponseObject(makeResponse({ id }), [userMessage(`m_${id}`)]).then(
              () => acknowledged.push(id),
              (error: unknown) => failed.push(error),
            );
          }
        });
        await sleep(1000);
        const beforeCrash = acknowledged.length;
        primary.kill();
        await sleep(500);
        standby.promote();
        const promotedAt = acknowledged.length;
        await sleep(2000);
        writing = false;
        await Promise.all(writers);
        expect(beforeCrash).toBeGreaterThan(0);
        expect(acknowledged.length).toBeGreaterThan(promotedAt); // writes went on, on the new primary
        expect(failed).toEqual([]); // those caught by the crash were carried across by the queue
        const after = await open(standby.url, 20_000);
        const missing: string[] = [];
        for (const id of acknowledged) await after.getResponseObject(id).catch(() => missing.push(id));
        expect(missing).toEqual([]);
      },
    );

    test("a primary that turns read-only (demoted) sends the store to the server promoted in its place", { timeout: 120_000 }, async () => {
      const { primary, standby } = await pair();
      const store = await open(both(primary, standby), 20_000);
      await store.storeResponseObject(makeResponse({ id: "resp_before" }), [userMessage("m0")]);
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: primary.url });
      await client.connect();
      await client.query("ALTER SYSTEM SET default_transaction_read_only = on");
      await client.query("SELECT pg_reload_conf()");
      await client.end();
      standby.promote();
      // Writes meet "read-only transaction" (25006) on the old primary, then go to the new one.
      for (let i = 0; i < 20; i++) await store.storeResponseObject(makeResponse({ id: `resp_${i}` }), [userMessage(`m${i}`)]);
      const onNew = await open(standby.url, 20_000);
      for (let i = 0; i < 20; i++) expect(await onNew.getResponseObject(`resp_${i}`)).toMatchObject({ id: `resp_${i}` });
      expect(await onNew.getResponseObject("resp_before")).toMatchObject({ id: "resp_before" });
    });

    test(
      "a dead synchronous standby: writes fail within their deadline and a second; reads still answer",
      { timeout: 60_000 },
      async () => {
        const { primary, standby } = await pair();
        const store = await open(primary.url, 2000);
        await store.storeResponseObject(makeResponse({ id: "resp_before" }), []);
        standby.kill();
        const writes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => timed(store.storeResponseObject(makeResponse({ id: `resp_${i}` }), []))),
        );
        for (const { ms, outcome } of writes) {
          expect(outcome).toMatchObject({ status: "rejected", reason: { code: "STORAGE_FAILED", retryable: true } });
          expect(ms).toBeLessThan(3000);
        }
        expect(await store.getResponseObject("resp_before")).toMatchObject({ id: "resp_before" });
      },
    );

    test("a frozen primary: stores, gets, lists and shutdown end within their deadline and a second", { timeout: 60_000 }, async () => {
      const primary = await startThrowawayPostgres();
      servers.push(primary);
      const store = await open(primary.url, 2000);
      await store.storeResponseObject(makeResponse({ id: "resp_before" }), [userMessage("m")]);
      primary.freeze(true);
      const calls = await Promise.all([
        timed(store.storeResponseObject(makeResponse({ id: "resp_frozen" }), [])),
        timed(store.getResponseObject("resp_before")),
        timed(store.listResponses({ limit: 5 })),
        timed(store.listResponseInputItems("resp_before")),
      ]);
      for (const { ms, outcome } of calls) {
        expect(outcome).toMatchObject({ status: "rejected", reason: { code: "STORAGE_FAILED", retryable: true } });
        expect(ms).toBeLessThan(3000);
      }
      const shutdown = await timed(store.shutdown());
      expect(shutdown.outcome.status).toBe("fulfilled");
      expect(shutdown.ms).toBeLessThan(5000);
    });
  },
);
