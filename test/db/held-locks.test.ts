// Bounded waits behind locks, on PostgreSQL and MySQL/MariaDB (each test in its own database): a
// table lock held by another session makes every call fail within its deadline (plus a second)
// with a retryable StorageError, and shutdown too is bounded; a row lock held on one id holds up
// no write to another id.
import { afterEach, expect, test } from "vitest";
import mariadb from "mariadb";
import pg from "pg";
import { mysqlConfig } from "../../src/db/providers.js";
import { migrate, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { timed } from "../support/timed.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

/** Another session on the database, holding a lock in an open transaction until released. */
interface Holder {
  run(sql: string): Promise<void>;
  release(): Promise<void>;
}

async function holder(provider: string, url: string): Promise<Holder> {
  if (provider === "postgresql") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("BEGIN");
    return {
      run: async (sql) => {
        await client.query(sql);
      },
      release: async () => {
        await client.query("ROLLBACK").catch(() => {});
        await client.end();
      },
    };
  }
  const conn = await mariadb.createConnection(mysqlConfig(url));
  await conn.beginTransaction();
  return {
    run: async (sql) => {
      await conn.query(sql);
    },
    release: async () => {
      await conn.query("UNLOCK TABLES").catch(() => {});
      await conn.rollback().catch(() => {});
      await conn.end();
    },
  };
}

const TIMEOUT_MS = 2000;

describeProviders(
  PROVIDERS.filter((p) => p.name !== "sqlite"),
  "held locks on $label",
  (provider) => {
    const stores = storeFactory(provider);
    const holders: Holder[] = [];
    afterEach(async () => {
      await Promise.all(holders.splice(0).map((h) => h.release()));
    });

    test(
      "a table locked for 20 s: stores, gets, lists and shutdown each end within the deadline and a second",
      { timeout: 60_000 },
      async () => {
        const url = await stores.url();
        const store: ResponsesStore = await stores.open({ timeoutMs: TIMEOUT_MS });
        await store.storeResponseObject(makeResponse({ id: "resp_before" }), [userMessage("m0")]);
        const lock = await holder(provider.name, url);
        holders.push(lock);
        await lock.run(
          provider.name === "postgresql" ? "LOCK TABLE openai_responses IN ACCESS EXCLUSIVE MODE" : "LOCK TABLES openai_responses WRITE",
        );
        const unlock = setTimeout(() => void lock.release(), 20_000);
        try {
          const calls = await Promise.all([
            timed(store.storeResponseObject(makeResponse({ id: "resp_during" }), [userMessage("m1")])),
            timed(store.getResponseObject("resp_before")),
            timed(store.listResponses({ limit: 5 })),
            timed(store.listResponseInputItems("resp_before")),
          ]);
          for (const { ms, outcome } of calls) {
            expect(outcome).toMatchObject({ status: "rejected", reason: { code: "STORAGE_FAILED", retryable: true } });
            expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
          }
          // A write still queued behind the lock cannot hold shutdown either.
          void store.storeResponseObject(makeResponse({ id: "resp_at_shutdown" }), []).catch(() => {});
          const shutdown = await timed(store.shutdown());
          expect(shutdown.outcome.status).toBe("fulfilled");
          expect(shutdown.ms).toBeLessThan(2 * TIMEOUT_MS + 1000);
        } finally {
          clearTimeout(unlock);
        }
        // Once the lock is gone, the data is whole and readable.
        await lock.release();
        const after = await stores.open();
        expect(await after.getResponseObject("resp_before")).toMatchObject({ id: "resp_before" });
      },
    );

    test.runIf(provider.name === "postgresql")(
      "migrations wait past their lock timeout for the migration lock another session holds, then apply",
      { timeout: 60_000 },
      async () => {
        const url = await stores.url();
        const lock = await holder(provider.name, url);
        holders.push(lock);
        await lock.run("SELECT pg_advisory_lock(72707369)"); // Prisma's migration lock, as `prisma migrate deploy` holds it
        const unlock = setTimeout(() => void lock.run("SELECT pg_advisory_unlock(72707369)").catch(() => {}), 1500);
        try {
          // Each wait for the lock times out after 500 ms; the runner keeps trying, up to 2 s.
          const { applied } = await migrate(provider.name, url, { timeoutMs: 500 });
          expect(applied.length).toBeGreaterThan(0);
        } finally {
          clearTimeout(unlock);
        }
      },
    );

    test("a row held FOR UPDATE: writes to 40 other ids all commit while it is held", { timeout: 60_000 }, async () => {
      const url = await stores.url();
      const store = await stores.open({ timeoutMs: 15_000, queue: { batchSize: 100, concurrency: 2 } });
      const ids = Array.from({ length: 40 }, (_, i) => `resp_${i}`);
      await Promise.all([...ids, "resp_locked"].map((id) => store.storeResponseObject(makeResponse({ id }), [userMessage(`m_${id}`)])));
      const lock = await holder(provider.name, url);
      holders.push(lock);
      await lock.run("SELECT id FROM openai_responses WHERE id = 'resp_locked' FOR UPDATE");
      let released = false;
      // Stored again (with new instructions); the locked id's write goes in the middle, batched with others.
      const again = (id: string) => store.storeResponseObject(makeResponse({ id, instructions: "again" }), [userMessage(`m_${id}`)]);
      const others = ids.slice(0, 20).map((id) => again(id).then(() => released));
      const locked = again("resp_locked");
      others.push(...ids.slice(20).map((id) => again(id).then(() => released)));
      // Every other id committed while the row lock was still held.
      expect(await Promise.all(others)).toEqual(Array(40).fill(false));
      released = true;
      await lock.release();
      await locked; // the locked id's write waited within its deadline, and commits once the lock is gone
      for (const id of [...ids, "resp_locked"]) expect(await store.getResponseObject(id)).toMatchObject({ id, instructions: "again" });
    });
  },
);
