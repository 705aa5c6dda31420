// A three-node MariaDB Galera cluster, built by the test from Debian's packages on free loopback
// ports. Stores starting on every node at once all start, and the migration history records
// each migration once and no failure; multi-primary writes on two nodes, one of them killed:
// no acknowledged write is lost, certification conflicts are retried, and the process lives.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import mariadb from "mariadb";
import { createResponsesStore, type ResponsesStore } from "../../src/index.js";
import { makeResponse, silentLogger, userMessage } from "../support/fixtures.js";
import { canRunGalera, startGalera, type GaleraCluster } from "../support/galera.js";
import { mysql } from "../../src/db/dialects/mysql.js";
import { isTransient } from "../../src/db/transient.js";
import type { Queryable } from "../../src/db/client.js";

const onDatabase = (url: string, database: string) => url.replace(/\/test$/, `/${database}`);

/** Rows of `sql` on `url`, read with causality (wsrep_sync_wait): every commit certified before is seen. */
async function causalRows<T>(url: string, sql: string): Promise<T[]> {
  const u = new URL(url);
  const conn = await mariadb.createConnection({ host: u.hostname, port: Number(u.port), user: "root", database: u.pathname.slice(1) });
  try {
    await conn.query("SET SESSION wsrep_sync_wait = 1");
    return await conn.query<T[]>(sql);
  } finally {
    await conn.end();
  }
}

describe.skipIf(!canRunGalera)(
  `a Galera cluster ${canRunGalera ? "" : "(skipped: needs Debian's mariadb-server, galera-4 and rsync)"}`,
  () => {
    let cluster: GaleraCluster;
    const opened: ResponsesStore[] = [];
    beforeAll(async () => {
      cluster = await startGalera(3);
    }, 300_000);
    afterAll(async () => {
      await Promise.all(opened.splice(0).map((s) => s.shutdown().catch(() => {})));
      await cluster?.destroy();
    });
    const open = async (url: string) => {
      const store = await createResponsesStore({ url, logger: silentLogger, timeoutMs: 20_000 });
      opened.push(store);
      return store;
    };

    test(
      "five rounds of stores starting on all three nodes at once: all start, each migration recorded once, none failed",
      { timeout: 300_000 },
      async () => {
        for (let round = 0; round < 5; round++) {
          const database = `ors_galera_${round}`;
          await causalRows(cluster.nodes[0]!.url, `CREATE DATABASE ${database}`);
          const starts = await Promise.allSettled(cluster.nodes.map((node) => open(onDatabase(node.url, database))));
          expect(starts.map((s) => (s.status === "rejected" ? String(s.reason) : "started"))).toEqual(["started", "started", "started"]);
          const rows = await causalRows<{ migration_name: string; finished_at: unknown; logs: unknown }>(
            onDatabase(cluster.nodes[1]!.url, database),
            "SELECT migration_name, finished_at, logs FROM _prisma_migrations",
          );
          expect(rows.filter((r) => r.finished_at === null)).toEqual([]);
          const names = rows.map((r) => r.migration_name);
          expect(new Set(names).size).toBe(names.length);
          // Every node's store writes, and reads what the others wrote at once (reads wait for the
          // node to apply what the cluster committed before them).
          const started = starts.map((s) => (s as PromiseFulfilledResult<ResponsesStore>).value);
          for (const [i, store] of started.entries()) {
            await store.storeResponseObject(makeResponse({ id: `resp_${round}_${i}` }), [userMessage("m")]);
            for (const reader of started)
              expect(await reader.getResponseObject(`resp_${round}_${i}`)).toMatchObject({ id: `resp_${round}_${i}` });
          }
        }
      },
    );

    test("a COMMIT that replicated no write set stands only where the caller finds its writes; one that replicated is not asked about", async () => {
      const database = "ors_galera_commits";
      await causalRows(cluster.nodes[0]!.url, `CREATE DATABASE ${database}`);
      await causalRows(onDatabase(cluster.nodes[0]!.url, database), "CREATE TABLE t (id VARCHAR(20) PRIMARY KEY, v INT NOT NULL)");
      await causalRows(onDatabase(cluster.nodes[0]!.url, database), "INSERT INTO t VALUES ('kept', 1)");
      // One connection, so that the session's wsrep_on reaches the transaction after it.
      const db = await mysql.openPool(onDatabase(cluster.nodes[0]!.url, database), { max: 1 }, { onIdleError: () => {}, warn: () => {} });
      const sql = (text: string, ...args: unknown[]) => ({
        sql: text,
        args,
        argTypes: args.map(() => ({ scalarType: "string" as const, arity: "scalar" as const })),
      });
      // Whether the cluster holds a row: asked of another node, which only a replicated write reaches.
      const onSecond = async (id: string) =>
        (await causalRows(onDatabase(cluster.nodes[1]!.url, database), `SELECT id FROM t WHERE id = '${id}'`)).length === 1;
      const asked: string[] = [];
      const confirmed = (id: string) => ({
        confirm: async () => {
          asked.push(id);
          return onSecond(id);
        },
      });
      try {
        // What MariaDB did under multi-primary writes (a conflict aborted the transaction and its
        // COMMIT still answered OK), made certain: with wsrep off the session replicates nothing.
        await db.executeRaw(sql("SET SESSION wsrep_on = OFF"));
        const insert = (id: string) => (tx: Queryable) => tx.executeRaw(sql("INSERT INTO t VALUES (?, 2)", id));
        await expect(db.transaction(insert("unreplicated"), confirmed("unreplicated"))).rejects.toMatchObject({
          errno: 1213,
          message: expect.stringContaining("replicated no write set"),
        });
        const deleted = await db
          .transaction((tx) => tx.executeRaw(sql("DELETE FROM t WHERE id = ?", "unreplicated")), { confirm: async () => false })
          .catch((e: unknown) => e);
        expect(isTransient(deleted)).toBe(true);
        // A replayed transaction also commits without a write set of the session's: without a way
        // to look, or where the look finds the writes, the commit stands.
        await expect(db.transaction(insert("unconfirmable"))).resolves.toBe(1);
        await expect(db.transaction(insert("found"), { confirm: async () => true })).resolves.toBe(1);
        await db.executeRaw(sql("DELETE FROM t WHERE id IN (?, ?)", "unconfirmable", "found")); // this node's alone, as they came
        await db.executeRaw(sql("SET SESSION wsrep_on = ON"));
        // An update to what the row holds changes nothing and replicates nothing: acknowledged.
        await expect(
          db.transaction((tx) => tx.executeRaw(sql("UPDATE t SET v = 1 WHERE id = ?", "kept")), confirmed("kept")),
        ).resolves.toBe(1);
        await expect(db.transaction(insert("replicated"), confirmed("replicated"))).resolves.toBe(1);
        expect(asked).toEqual(["unreplicated"]);
        expect(await onSecond("replicated")).toBe(true);
      } finally {
        await db.dispose();
      }
    });

    test(
      "multi-primary writes on two nodes, one node killed: no acknowledged write lost, the process alive",
      { timeout: 120_000 },
      async () => {
        const database = "ors_galera_writes";
        await causalRows(cluster.nodes[0]!.url, `CREATE DATABASE ${database}`);
        const first = await open(onDatabase(cluster.nodes[0]!.url, database));
        const second = await open(onDatabase(cluster.nodes[1]!.url, database));
        // Each acknowledged id, with the node whose store acknowledged it and when, so that a lost
        // write says where and how long before or after the kill it was acknowledged.
        const acknowledged = new Map<string, { node: number; at: number }>();
        let writing = true;
        let next = 0;
        const writers = [first, second].flatMap((store, node) =>
          Array.from({ length: 8 }, async () => {
            while (writing) {
              // Both nodes write the same ids now and then: certification conflicts (1213), retried.
              const n = next++;
              const id = n % 5 === 0 ? `resp_shared_${n % 50}` : `resp_${n}`;
              await store.storeResponseObject(makeResponse({ id }), [userMessage(`m_${id}`)]).then(
                () => void acknowledged.set(id, { node, at: Date.now() }),
                () => {},
              );
            }
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 3000));
        cluster.nodes[1]!.kill();
        const killedAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        writing = false;
        await Promise.all(writers);
        expect(acknowledged.size).toBeGreaterThan(100);
        const stored = new Set(
          (await causalRows<{ id: string }>(onDatabase(cluster.nodes[2]!.url, database), "SELECT id FROM openai_responses")).map(
            (r) => r.id,
          ),
        );
        const lost = [...acknowledged].filter(([id]) => !stored.has(id));
        // A lost write says whether the surviving node that acknowledged it holds it (the cluster
        // lost it) or not (the store acknowledged a write that never committed).
        const onFirst = new Set(
          lost.length
            ? (await causalRows<{ id: string }>(onDatabase(cluster.nodes[0]!.url, database), "SELECT id FROM openai_responses")).map(
                (r) => r.id,
              )
            : [],
        );
        if (lost.length) {
          for (const i of [0, 2]) console.error(`Galera node ${i}'s error log, ending:\n${cluster.nodes[i]!.log(60)}`);
          // What each node's connections sent around the first lost writes (node 1's log outlives its kill).
          for (const [id] of lost.slice(0, 2))
            for (const [i, node] of cluster.nodes.entries())
              console.error(`node ${i}'s statements naming ${id}:\n${node.trace(`'${id}'`)}`);
        }
        expect(
          lost.map(
            ([id, { node, at }]) =>
              `${id}: acknowledged on node ${node}, ${at - killedAt} ms from the kill, ${onFirst.has(id) ? "on" : "not on"} node 0 ` +
              `(queue ${JSON.stringify([first, second].map((s) => s.stats()))})`,
          ),
        ).toEqual([]);
      },
    );
  },
);
