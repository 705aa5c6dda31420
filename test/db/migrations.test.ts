// Migrations: applied on initialize(), recorded in _prisma_migrations exactly as
// `prisma migrate deploy` records them, safe under concurrent startup, and matching what the
// generated client expects. Prisma's own schema engine (wasm) is the oracle on SQLite and
// PostgreSQL; MySQL (which the wasm engine cannot reach) is checked against the same logical
// columns and indexes.
import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { MigrationError, StorageError, bundledMigrations, createResponsesStore, migrate } from "../../src/index.js";
import { applyMigrations, checksumOf } from "../../src/db/migrate.js";
import { dialectFor } from "../../src/db/providers.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, chainTurns, makeResponse, silentLogger, storeFactory, userMessage } from "../support/fixtures.js";
import { insertLegacyRows } from "../support/raw-rows.js";
import { engineCannotRead } from "../support/engine-reads-catalog.js";
import { migrationList, openEngine, schemaFiles } from "../support/schema-engine.js";

const FILTERS = { externalTables: [], externalEnums: [] };

async function migrationRows(provider: (typeof PROVIDERS)[number]["name"], url: string) {
  const conn = await dialectFor(provider).openRawConnection(url);
  try {
    return await conn.query(
      "SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count FROM _prisma_migrations ORDER BY started_at",
    );
  } finally {
    await conn.close();
  }
}

async function execRaw(provider: (typeof PROVIDERS)[number]["name"], url: string, sql: string) {
  const conn = await dialectFor(provider).openRawConnection(url);
  try {
    await conn.exec(sql);
  } finally {
    await conn.close();
  }
}

describe.each(PROVIDERS)("migrations on $label", (provider) => {
  const stores = storeFactory(provider);
  const expected = bundledMigrations(provider.name);

  test("initialize() applies the bundled migrations and records them as prisma migrate deploy does", async () => {
    const url = await stores.url();
    await stores.open();
    const rows = await migrationRows(provider.name, url);
    expect(rows.map((r) => r.migration_name)).toEqual(expected.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(expected[i]!.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(String(row.id)).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(row.applied_steps_count)).toBe(1);
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
    }
    if (provider.name === "sqlite") expect(String(rows[0]!.finished_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    expect(await migrate(provider.name, url)).toEqual({ applied: [] });
  });

  test("several processes starting at once apply each migration once", async () => {
    const url = await stores.url();
    const started = await Promise.all(Array.from({ length: 4 }, () => createResponsesStore({ url })));
    await Promise.all(started.map((s, i) => s.storeResponseObject(makeResponse({ id: `resp_${i}` }), [])));
    expect((await started[0]!.listResponses()).data).toHaveLength(4);
    await Promise.all(started.map((s) => s.shutdown()));
    expect((await migrationRows(provider.name, url)).map((r) => r.migration_name)).toEqual(expected.map((m) => m.name));
  });

  test("migrate: false leaves the database alone; using it unmigrated is a storage error", async () => {
    const store = await stores.open({ migrate: false });
    const error = await store.listResponses().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ retryable: false });
  });

  test("an unresolved failed migration stops initialize() with Prisma's P3009 meaning", async () => {
    const url = await stores.url();
    await stores.open();
    await execRaw(provider.name, url, "UPDATE _prisma_migrations SET finished_at = NULL, logs = 'boom'");
    const error = await createResponsesStore({ url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/failed earlier and is unresolved \(Prisma P3009\).*boom/);
  });

  test("an applied migration whose checksum differs is reported, not re-applied", async () => {
    const url = await stores.url();
    await stores.open();
    await execRaw(provider.name, url, "UPDATE _prisma_migrations SET checksum = 'edited'");
    await expect(createResponsesStore({ url })).rejects.toThrow(/was modified after it was applied/);
  });

  test("the migrated table has the logical columns and (created_at, id) indexes of the model", async () => {
    const url = await stores.url();
    await stores.open();
    const conn = await dialectFor(provider.name).openRawConnection(url);
    try {
      const columns = await conn.query<{ name: string; nullable: unknown }>(
        {
          sqlite: `SELECT name, CASE "notnull" WHEN 1 THEN 'NO' ELSE 'YES' END AS nullable FROM pragma_table_info('openai_responses')`,
          postgresql: `SELECT column_name AS name, is_nullable AS nullable FROM information_schema.columns WHERE table_name = 'openai_responses' AND table_schema = current_schema()`,
          mysql: `SELECT COLUMN_NAME AS name, IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_NAME = 'openai_responses' AND TABLE_SCHEMA = DATABASE()`,
        }[provider.name],
      );
      expect(Object.fromEntries(columns.map((c) => [c.name, c.nullable]))).toEqual({
        id: "NO",
        created_at: "NO",
        response_object: "NO",
        model: "NO",
        owner_principal: "NO",
        access_attributes: "YES",
        parent_id: "YES",
        depth: "NO",
        input_start: "NO",
        input_count: "YES",
        output_count: "YES",
        messages_start: "NO",
        messages_count: "YES",
        history_digest: "YES",
        messages_digest: "YES",
        input_ids_unique: "YES",
        full_bytes: "YES",
        inherited_bytes: "YES",
        deleted_at: "YES",
        status: "YES",
      });
      const types = await conn.query<{ name: string; type: string }>(
        {
          sqlite: `SELECT name, type FROM pragma_table_info('openai_responses')`,
          postgresql: `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = 'openai_responses' AND table_schema = current_schema()`,
          mysql: `SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_NAME = 'openai_responses' AND TABLE_SCHEMA = DATABASE()`,
        }[provider.name],
      );
      expect(types.find((t) => t.name === "created_at")!.type.toLowerCase()).toBe("bigint");
      const indexes = await conn.query<{ name: string; columns: string }>(
        {
          sqlite: `SELECT il.name AS name, (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno)) AS columns FROM pragma_index_list('openai_responses') il WHERE il.origin = 'c'`,
          postgresql: `SELECT i.relname AS name, string_agg(a.attname, ',' ORDER BY k.ord) AS columns FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum WHERE t.relname = 'openai_responses' AND NOT x.indisprimary GROUP BY i.relname`,
          mysql: `SELECT INDEX_NAME AS name, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS columns FROM information_schema.STATISTICS WHERE TABLE_NAME = 'openai_responses' AND TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' GROUP BY INDEX_NAME`,
        }[provider.name],
      );
      expect(Object.fromEntries(indexes.map((i) => [i.name, i.columns]))).toEqual({
        openai_responses_created_at_id_idx: "created_at,id",
        openai_responses_model_created_at_id_idx: "model,created_at,id",
        openai_responses_owner_principal_created_at_id_idx: "owner_principal,created_at,id",
        openai_responses_owner_principal_model_created_at_id_idx: "owner_principal,model,created_at,id",
        openai_responses_parent_id_idx: "parent_id",
      });
    } finally {
      await conn.close();
    }
  });

  const engineProvider = provider.name === "mysql" ? undefined : provider.name;
  test.skipIf(!engineProvider)(
    "Prisma's schema engine sees our runner's database as migrated and matching the client's schema",
    async (context) => {
      const url = await stores.url();
      await stores.open();
      // Where the engine cannot read the server's catalog (Prisma 7.10 on PostgreSQL 18 panics on
      // its NOT NULL constraint rows, then never answers), the check is skipped, saying why.
      const cannot = engineProvider === "postgresql" ? await engineCannotRead(url) : undefined;
      if (cannot) context.skip(`Prisma's schema engine cannot read this server's catalog: ${cannot}`);
      const { engine, close, explain } = await openEngine(engineProvider!, url.replace(/^file:/, ""));
      try {
        const status = await engine.diagnoseMigrationHistory({
          migrationsList: migrationList(engineProvider!),
          optInToShadowDatabase: false,
          filters: FILTERS,
        });
        expect(status).toMatchObject({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
        expect(
          (await engine.applyMigrations({ migrationsList: migrationList(engineProvider!), filters: FILTERS })).appliedMigrationNames,
        ).toEqual([]);
        const drift = await engine.diff({
          from: { tag: "schemaDatasource", files: schemaFiles(engineProvider!), configDir: process.cwd() },
          to: { tag: "schemaDatamodel", files: schemaFiles(engineProvider!) },
          script: true,
          shadowDatabaseUrl: null,
          exitCode: true,
          filters: FILTERS,
        });
        expect(drift.exitCode, `drift between the migrated database and schema.prisma`).toBe(0);
      } catch (error) {
        throw new Error(explain(error));
      } finally {
        await close();
      }
    },
  );

  test.skipIf(!engineProvider)("a database migrated by Prisma's engine is taken as up to date by initialize()", async () => {
    const url = await stores.url();
    const { engine, close } = await openEngine(engineProvider!, url.replace(/^file:/, ""));
    try {
      const applied = await engine.applyMigrations({ migrationsList: migrationList(engineProvider!), filters: FILTERS });
      expect(applied.appliedMigrationNames).toEqual(expected.map((m) => m.name));
    } finally {
      await close();
    }
    expect(await migrate(provider.name, url)).toEqual({ applied: [] });
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), []);
    expect((await store.getResponseObject("resp_1")).id).toBe("resp_1");
  });

  /**
   * Rows a user of an earlier release stored, written as that release wrote them (whole, in
   * the columns of the first migration): three owners, input, messages, a NUL, and a
   * three-turn conversation whose later turns repeat the earlier ones.
   */
  async function storePreviousReleaseRows(url: string) {
    const conversation = chainTurns("resp_c", 3, 200);
    const rows = [
      {
        response: makeResponse({ id: "resp_a", created_at: 100 }),
        input: [userMessage("in_a", "α\u0000β")],
        messages: [{ role: "user" as const, content: "hi" }],
        user: alice,
      },
      { response: makeResponse({ id: "resp_b", created_at: 101 }), input: [], messages: [], user: bob },
      { response: makeResponse({ id: "resp_n", created_at: 102 }), input: [userMessage("in_n")], messages: [], user: null },
      ...conversation.map((turn) => ({ ...turn, user: alice })),
    ];
    await insertLegacyRows(provider.name, url, rows);
    return async () => {
      const store = await stores.open();
      const readAll = async () => {
        for (const r of rows) {
          expect(await store.getResponseObject(r.response.id, { user: r.user })).toEqual({
            ...r.response,
            input: r.input,
            messages: r.messages,
          });
        }
        expect((await store.listResponses({ user: alice, limit: 3 })).data.map((d) => [d.id, d.input.length])).toEqual([
          ["resp_c3", 5],
          ["resp_c2", 3],
          ["resp_c1", 1],
        ]);
      };
      await readAll();
      // Their statuses were copied into the column: a completed one stays completed.
      await expect(store.updateResponseObject({ ...rows[0]!.response, status: "in_progress" }, { user: alice })).rejects.toMatchObject({
        code: "RESPONSE_STATE_CONFLICT",
      });
      await store.storeConversationMessages("conv_1", [{ role: "user", content: "new table" }], { user: alice });
      expect(await store.getConversationMessages("conv_1", { user: alice })).toEqual([{ role: "user", content: "new table" }]);
      // Compacted into linear storage, everything reads the same and the conversation shrinks.
      const before = await store.storageStats({ allOwners: true });
      expect(await store.compactResponses()).toEqual({ compacted: 6, linked: 2 });
      await readAll();
      const after = await store.storageStats({ allOwners: true });
      if (provider.name !== "mysql") expect(after.bytes).toBe(before.bytes); // MySQL keeps JSON reformatted

      expect(after.storedBytes).toBeLessThan(before.storedBytes);
      return url;
    };
  }

  test.runIf(provider.name === "postgresql")(
    "a PostgreSQL database filled before the inline-rows migration upgrades whole, and each later turn's row stays out of TOAST",
    async () => {
      const url = await stores.url();
      await applyMigrations(
        provider.name,
        url,
        expected.filter((m) => m.name < "20261203120000_turn_rows_inline"),
      );
      // The chunks in the table's TOAST relation: a row moved out of line adds some.
      const toastChunks = async () => {
        const conn = await dialectFor(provider.name).openRawConnection(url);
        try {
          const [toast] = await conn.query<{ name: string }>(
            "SELECT reltoastrelid::regclass::text AS name FROM pg_class WHERE oid = 'openai_responses'::regclass",
          );
          return Number((await conn.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${toast!.name}`))[0]!.n);
        } finally {
          await conn.close();
        }
      };
      // Turns of incompressible text, about 4 KB a row (its question, its answer, its messages).
      const random = (t: number) => `${t} ${randomBytes(900).toString("base64")}`;
      const turns = chainTurns("resp_k", 16, 1_732_406_400, random, random);
      // This release writes a column the previous one did not: a stand-in, dropped before the upgrade.
      await execRaw(provider.name, url, "ALTER TABLE openai_responses ADD COLUMN inherited_bytes BIGINT");
      const old = await createResponsesStore({ url, migrate: false, logger: silentLogger });
      for (const t of turns.slice(0, 8)) await old.storeResponseObject(t.response, t.input, t.messages, { user: alice });
      await old.shutdown();
      await execRaw(provider.name, url, "ALTER TABLE openai_responses DROP COLUMN inherited_bytes");
      const before = await toastChunks();
      expect(before).toBeGreaterThan(0);

      expect(await migrate(provider.name, url)).toEqual({
        applied: expected.filter((m) => m.name >= "20261203120000_turn_rows_inline").map((m) => m.name),
      });
      const store = await stores.open();
      for (const t of turns.slice(0, 8))
        expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
          ...t.response,
          input: t.input,
          messages: t.messages,
        });
      // Later turns continue the rows stored before, and add nothing to TOAST.
      for (const t of turns.slice(8)) await store.storeResponseObject(t.response, t.input, t.messages, { user: alice });
      expect(await toastChunks()).toBe(before);
      const reader = await stores.open(); // remembers nothing: reads every row of the chain
      const last = turns.at(-1)!;
      expect(await reader.getResponseObject(last.response.id, { user: alice })).toEqual({
        ...last.response,
        input: last.input,
        messages: last.messages,
      });
      expect((await reader.listResponseInputItems(last.response.id, { user: alice, limit: 100 })).data).toHaveLength(last.input.length);
    },
  );

  test("a conversation stored before the inherited-bytes migration is continued by turns on any instance, with the sizes of one stored after it", async () => {
    const url = await stores.url();
    await applyMigrations(
      provider.name,
      url,
      expected.filter((m) => m.name < "20261203130000_inherited_bytes"),
    );
    // The previous release's rows (this release writes a column it did not: a stand-in, dropped).
    await execRaw(provider.name, url, "ALTER TABLE openai_responses ADD COLUMN inherited_bytes BIGINT");
    const turns = chainTurns("resp_u", 8);
    const twins = chainTurns("twin_u", 8); // the same sizes, stored after the upgrade
    const added = (list: typeof turns, t: number) => {
      const before = list[t - 1]!;
      const history = before.input.length + (before.response.output as unknown[]).length;
      return { input: list[t]!.input.slice(history), messages: list[t]!.messages.slice(before.messages.length) };
    };
    const old = await createResponsesStore({ url, migrate: false, logger: silentLogger });
    for (const t of turns.slice(0, 4)) await old.storeResponseObject(t.response, t.input, t.messages, { user: alice });
    await old.shutdown();
    await execRaw(provider.name, url, "ALTER TABLE openai_responses DROP COLUMN inherited_bytes");

    expect(await migrate(provider.name, url)).toEqual({
      applied: expected.filter((m) => m.name >= "20261203130000_inherited_bytes").map((m) => m.name),
    });
    // Each later turn on an instance that remembers nothing: the first reads the old row, the
    // next ones take what they inherit from the row in the insert.
    for (let t = 4; t < turns.length; t++) {
      const store = await stores.open();
      const { input, messages } = added(turns, t);
      await store.storeTurn(turns[t]!.response, input, messages, { user: alice });
    }
    const single = await stores.open();
    for (const t of twins) await single.storeResponseObject(t.response, t.input, t.messages, { user: bob });
    const reader = await stores.open();
    for (const t of turns)
      expect(await reader.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
    expect((await reader.storageStats({ user: alice })).bytes).toBe((await reader.storageStats({ user: bob })).bytes);
  });

  test("a database filled in linear storage before the background-responses migration upgrades whole: each status is copied from the JSON, and final ones stay final", async () => {
    const url = await stores.url();
    const before = expected.filter((m) => m.name < "20261203000000_background_responses");
    await applyMigrations(provider.name, url, before);
    // The previous release wrote every column but status; this release writes it too (and deletes
    // events with their response). So its rows are written with a stand-in column and table,
    // dropped before the upgrade: what is left is
    // what the previous release stored (linear chains, messages, a deleted turn, a conversation).
    await execRaw(provider.name, url, "ALTER TABLE openai_responses ADD COLUMN status VARCHAR(32)");
    await execRaw(provider.name, url, "ALTER TABLE openai_responses ADD COLUMN inherited_bytes BIGINT");
    await execRaw(provider.name, url, "CREATE TABLE response_events (response_id VARCHAR(191) NOT NULL, sequence_number INTEGER NOT NULL)");
    const old = await createResponsesStore({ url, migrate: false, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    const turns = chainTurns("resp_t", 4, 300);
    for (const t of turns) await old.storeResponseObject(t.response, t.input, t.messages, { user: alice });
    const running = makeResponse({ id: "resp_running", status: "in_progress", background: true });
    const failed = makeResponse({ id: "resp_failed", status: "failed" });
    for (const r of [running, failed]) await old.storeResponseObject(r, [userMessage(`in_${r.id}`)], [], { user: bob });
    await old.storeConversationMessages("conv_m", [{ role: "user", content: "kept" }], { user: bob });
    const conversation = await old.conversations.create({ items: [{ role: "user", content: "kept too" }], user: alice });
    await old.deleteResponseObject("resp_t2", { user: alice });
    await old.shutdown();
    await execRaw(provider.name, url, "ALTER TABLE openai_responses DROP COLUMN status");
    await execRaw(provider.name, url, "ALTER TABLE openai_responses DROP COLUMN inherited_bytes");
    await execRaw(provider.name, url, "DROP TABLE response_events");

    expect(await migrate(provider.name, url)).toEqual({ applied: expected.filter((m) => !before.includes(m)).map((m) => m.name) });
    const store = await stores.open();
    for (const t of turns.filter((t) => t.response.id !== "resp_t2")) {
      expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
    }
    expect(await store.getConversationMessages("conv_m", { user: bob })).toEqual([{ role: "user", content: "kept" }]);
    expect((await store.conversations.items.list(conversation.id, { user: alice })).data).toHaveLength(1);
    // The copied statuses are guarded: a completed or failed response stays so; one in progress ends.
    await expect(store.updateResponseObject({ ...turns[3]!.response, status: "in_progress" }, { user: alice })).rejects.toMatchObject({
      code: "RESPONSE_STATE_CONFLICT",
      status: "completed",
    });
    await expect(store.storeResponseObject({ ...failed, status: "completed" }, [], [], { user: bob })).rejects.toMatchObject({
      code: "RESPONSE_STATE_CONFLICT",
      status: "failed",
    });
    expect((await store.cancelResponse("resp_running", { user: bob })).status).toBe("cancelled");
  });

  test.each([1, 2, 3, 4])(
    "a database made and filled by the release with %i migration(s) upgrades whole through the store's runner",
    async (previous) => {
      const url = await stores.url();
      expect(await applyMigrations(provider.name, url, expected.slice(0, previous))).toEqual({
        applied: expected.slice(0, previous).map((m) => m.name),
      });
      const readBack = await storePreviousReleaseRows(url);
      expect(await migrate(provider.name, url)).toEqual({ applied: expected.slice(previous).map((m) => m.name) });
      await readBack();
      const rows = await migrationRows(provider.name, url);
      expect(rows.map((r) => [r.migration_name, r.checksum, Number(r.applied_steps_count), r.finished_at === null])).toEqual(
        expected.map((m) => [m.name, m.checksum, 1, false]),
      );
    },
  );

  test.skipIf(!engineProvider).each([1, 2, 3, 4])(
    "a database `prisma migrate deploy` made and filled at the release with %i migration(s) upgrades whole",
    async (count) => {
      const url = await stores.url();
      const list = migrationList(engineProvider!);
      const { engine, close } = await openEngine(engineProvider!, url.replace(/^file:/, ""));
      try {
        const previous = { ...list, migrationDirectories: list.migrationDirectories.slice(0, count) };
        expect((await engine.applyMigrations({ migrationsList: previous, filters: FILTERS })).appliedMigrationNames).toEqual(
          expected.slice(0, count).map((m) => m.name),
        );
      } finally {
        await close();
      }
      const readBack = await storePreviousReleaseRows(url);
      expect(await migrate(provider.name, url)).toEqual({ applied: expected.slice(count).map((m) => m.name) });
      await readBack();
      const after = await openEngine(engineProvider!, url.replace(/^file:/, ""));
      try {
        const status = await after.engine.diagnoseMigrationHistory({
          migrationsList: list,
          optInToShadowDatabase: false,
          filters: FILTERS,
        });
        expect(status).toMatchObject({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
      } finally {
        await after.close();
      }
    },
  );

  test("a failing migration is recorded as Prisma records it, and undone where the database can undo DDL", async () => {
    const url = await stores.url();
    await migrate(provider.name, url);
    const sql = "CREATE TABLE half_done (a INT);\nSELECT * FROM no_such_table;\n";
    const broken = { name: "29990101000000_broken", sql, checksum: checksumOf(sql) };
    const error = await applyMigrations(provider.name, url, [...expected, broken]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ message: expect.stringMatching(/Migration 29990101000000_broken failed/) });
    const row = (await migrationRows(provider.name, url)).find((r) => r.migration_name === broken.name)!;
    expect(row).toMatchObject({ finished_at: null, rolled_back_at: null, checksum: broken.checksum });
    expect(String(row.logs)).toMatch(/no_such_table/);
    const conn = await dialectFor(provider.name).openRawConnection(url);
    try {
      const halfDone = await conn.query("SELECT 1 FROM half_done").then(
        () => true,
        () => false,
      );
      expect(halfDone).toBe(!dialectFor(provider.name).migrationLock.transactional); // MySQL commits DDL as it goes
    } finally {
      await conn.close();
    }
    await expect(applyMigrations(provider.name, url, [...expected, broken])).rejects.toThrow(/P3009/);
  });
});
