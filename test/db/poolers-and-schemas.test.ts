// The deployment shapes Prisma users run on PostgreSQL: `?schema=` (tables, indexes and
// _prisma_migrations in the schema the URL names, created if missing; two schemas of one
// database never see each other's rows) and a transaction-mode pooler (Debian's PgBouncer,
// started by the test): many processes starting at once through it migrate, write through the
// queue and read, and no migration lock is left behind.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, test } from "vitest";
import { ConfigurationError, bundledMigrations, createResponsesStore, migrationStatus } from "../../src/index.js";
import { PROVIDERS, STORE_TABLES, freshDatabase } from "../support/databases.js";
import { makeResponse, silentLogger, userMessage } from "../support/fixtures.js";
import { canRunPgBouncer, startPgBouncer } from "../support/pgbouncer.js";
import { migrationList, openEngine } from "../support/schema-engine.js";

const run = promisify(execFile);
const WORKER = join(import.meta.dirname, "..", "support", "pooled-worker.ts");
const pgProvider = PROVIDERS.find((p) => p.name === "postgresql");
const withParams = (url: string, params: Record<string, string>) => {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
};

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe.skipIf(!pgProvider)(`PostgreSQL ?schema= ${pgProvider ? "" : "(skipped: set TEST_POSTGRES_URL)"}`, () => {
  test("two schemas of one database: each holds its own tables and _prisma_migrations, and never sees the other's rows", async () => {
    const db = await freshDatabase(pgProvider!);
    try {
      const a = await createResponsesStore({ url: withParams(db.url, { schema: "tenant_a" }), logger: silentLogger });
      const b = await createResponsesStore({ url: withParams(db.url, { schema: "tenant b" }), logger: silentLogger });
      await a.storeResponseObject(makeResponse({ id: "resp_1", status: "in a" }), [userMessage("x")]);
      await b.storeResponseObject(makeResponse({ id: "resp_1", status: "in b" }), []);
      await b.storeResponseObject(makeResponse({ id: "resp_2" }), []);
      await a.storeConversationMessages("conv_1", [{ role: "user", content: "a" }]);
      expect((await a.getResponseObject("resp_1")).status).toBe("in a");
      expect((await b.getResponseObject("resp_1")).status).toBe("in b");
      expect((await a.listResponses()).data.map((r) => r.id)).toEqual(["resp_1"]);
      expect(await b.getConversationMessages("conv_1")).toBeNull();
      await a.shutdown();
      await b.shutdown();

      const tables = await query<{ schema: string; name: string }>(
        db.url,
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      );
      expect(tables).toEqual(["tenant b", "tenant_a"].flatMap((schema) => STORE_TABLES.map((name) => ({ schema, name }))));
      // What `prisma migrate status` reads with the same URL: Prisma's engine on that schema.
      const { engine, close } = await openEngine("postgresql", withParams(db.url, { options: "-c search_path=tenant_a" }));
      try {
        const status = await engine.diagnoseMigrationHistory({
          migrationsList: migrationList("postgresql"),
          optInToShadowDatabase: false,
          filters: { externalTables: [], externalEnums: [] },
        });
        expect(status).toMatchObject({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
      } finally {
        await close();
      }
      expect(await migrationStatus("postgresql", withParams(db.url, { schema: "tenant_a" }))).toMatchObject({
        pending: [],
        failed: [],
        edited: [],
      });
      expect((await migrationStatus("postgresql", db.url)).pending).toHaveLength(bundledMigrations("postgresql").length); // nothing in public
    } finally {
      await db.drop();
    }
  });

  test("directUrl must name the same schema as url", async () => {
    const url = withParams(pgProvider!.serverUrl!, { schema: "a" });
    await expect(createResponsesStore({ url, directUrl: withParams(pgProvider!.serverUrl!, { schema: "b" }) })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });
});

describe.skipIf(!pgProvider || !canRunPgBouncer)(
  `PostgreSQL through PgBouncer in transaction mode ${!pgProvider ? "(skipped: set TEST_POSTGRES_URL)" : !canRunPgBouncer ? "(skipped: apt-get install pgbouncer)" : ""}`,
  () => {
    test(
      "eight processes starting at once through the pooler migrate, write and read; no lock is left; a later start goes through",
      { timeout: 180_000 },
      async () => {
        const db = await freshDatabase(pgProvider!);
        const bouncer = await startPgBouncer(db.url, 3);
        try {
          // Half say ?pgbouncer=true; the others find out when a named statement goes missing.
          // Half migrate through the pooler; the others through a directUrl. All in ?schema=app.
          const pooled = withParams(bouncer.url(db.url), { schema: "app" });
          const workers = Array.from({ length: 8 }, (_, i) =>
            run(
              process.execPath,
              [
                "--import",
                "tsx",
                WORKER,
                i % 2 ? withParams(pooled, { pgbouncer: "true" }) : pooled,
                ...(i % 4 < 2 ? [] : [withParams(db.url, { schema: "app" })]),
              ],
              {
                timeout: 120_000,
              },
            ),
          );
          const outcomes = await Promise.allSettled(workers);
          const failures = outcomes.flatMap((o) =>
            o.status === "rejected" ? [String((o.reason as { stderr?: string }).stderr ?? o.reason)] : [],
          );
          expect(failures).toEqual([]);
          expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value.stdout.trim() : ""))).toEqual(Array(8).fill("ok 40"));

          const locks = await query<{ n: string }>(db.url, `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'`);
          expect(Number(locks[0]!.n)).toBe(0);
          const rows = await query<{ n: string }>(db.url, `SELECT count(*) AS n FROM app.openai_responses`);
          expect(Number(rows[0]!.n)).toBe(320);
          const migrations = await query<{ migration_name: string }>(
            db.url,
            `SELECT migration_name FROM app._prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1`,
          );
          expect(migrations.map((m) => m.migration_name)).toEqual(bundledMigrations("postgresql").map((m) => m.name));

          const later = await createResponsesStore({ url: pooled, logger: silentLogger });
          expect((await later.listResponses({ user: null })).data).toEqual([]);
          await later.shutdown();
        } finally {
          await bouncer.stop();
          await db.drop();
        }
      },
    );
  },
);
