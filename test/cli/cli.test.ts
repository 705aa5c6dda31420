// The command line, run as a real process: migrate status/deploy, import of a llama-stack
// table (SQLite and PostgreSQL sources), prune, stats and serve.
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, test } from "vitest";
import { createResponsesStore } from "../../src/index.js";
import { sqlitePath } from "../../src/db/providers.js";
import { PROVIDERS, STORE_TABLES, freshDatabase } from "../support/databases.js";
import { alice, chainTurns, listAllIds, makeResponse, silentLogger, storeFactory } from "../support/fixtures.js";
import { insertLegacyRows, storedRow } from "../support/raw-rows.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");
const cli = (url: string, ...args: string[]) =>
  run(process.execPath, ["--import", "tsx", MAIN, "--url", url, ...args]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

async function pgQuery(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** Rows as llama-stack's ResponsesStore stored them (pydantic dumps, NULL/'' owners, 'null' attributes). */
function llamaRows() {
  const blob = (id: string, extra: object = {}) => ({
    id,
    object: "response",
    created_at: 1_759_000_000,
    model: "llama-3",
    status: "completed",
    output: [],
    error: null,
    parallel_tool_calls: false,
    previous_response_id: null,
    temperature: null,
    top_p: null,
    truncation: null,
    text: { format: { type: "text" } },
    input: [{ type: "message", role: "user", content: "hi", id: `msg_${id}`, status: null }],
    messages: [{ role: "user", content: "hi", name: null }],
    ...extra,
  });
  return [
    { id: "resp-alice", blob: blob("resp-alice"), owner: "alice", attrs: { roles: ["user"] } },
    // Alice's second turn repeats her first: the import keeps only what it adds.
    {
      id: "resp-alice-2",
      blob: blob("resp-alice-2", {
        previous_response_id: "resp-alice",
        input: [...blob("resp-alice").input, { type: "message", role: "user", content: "more", id: "msg_more", status: null }],
        messages: [...blob("resp-alice").messages, { role: "user", content: "more", name: null }],
      }),
      owner: "alice",
      attrs: { roles: ["user"] },
    },
    { id: "resp-public-null", blob: blob("resp-public-null"), owner: null, attrs: null },
    { id: "resp-public-empty", blob: blob("resp-public-empty", { messages: undefined }), owner: "", attrs: null }, // pre-#3645: no messages
    { id: "resp-broken", blob: { object: "response" }, owner: "", attrs: null }, // not a valid response, not even an id
  ];
}

describe("responses-store CLI", () => {
  const stores = storeFactory(PROVIDERS[0]!); // SQLite target

  test("migrate status reports pending, deploy applies, status is then clean", async () => {
    const url = await stores.url();
    expect(await cli(url, "migrate", "status")).toMatchObject({ code: 1, out: expect.stringContaining("pending: 20261124000000_init") });
    expect((await cli(url, "migrate", "deploy")).out).toContain("Applied 20261124000000_init");
    expect(await cli(url, "migrate", "status")).toMatchObject({ code: 0, out: expect.stringContaining("pending: (none)") });
    expect((await cli(url, "migrate", "deploy")).out).toContain("is up to date");
  });

  test("import from a SQLite file that is not there, or without the table, says so in one line and creates nothing", async () => {
    const url = await stores.url();
    const missing = sqlitePath(url).replace(/test\.db$/, "nope.db");
    const absent = await cli(url, "import", "--from", `file:${missing}`);
    expect(absent.code).toBe(1);
    expect(absent.out).toContain(`INVALID_OPTIONS): No SQLite file at ${missing} to import from`);
    expect(existsSync(missing)).toBe(false);
    const empty = sqlitePath(url).replace(/test\.db$/, "empty.db");
    new Database(empty).close();
    const noTable = await cli(url, "import", "--from", `file:${empty}`);
    expect(noTable.code).toBe(1);
    expect(noTable.out).toContain(
      "STORAGE_FAILED): Database operation 'importLlamaStackResponses' failed: no such table: openai_responses",
    );
    expect(noTable.out).not.toMatch(/\n\s+at /); // no stack
  });

  test("import copies a llama-stack SQLite table with owners, skips on a second run, reports invalid rows", async () => {
    const url = await stores.url();
    const sourcePath = sqlitePath(url).replace(/test\.db$/, "llama.db");
    const db = new Database(sourcePath);
    db.exec(
      `CREATE TABLE openai_responses (id VARCHAR PRIMARY KEY, created_at INTEGER, response_object JSON, model VARCHAR, access_attributes JSON, owner_principal VARCHAR)`,
    );
    const insert = db.prepare(`INSERT INTO openai_responses VALUES (?, ?, ?, ?, ?, ?)`);
    for (const r of llamaRows()) insert.run(r.id, 1_759_000_000, JSON.stringify(r.blob), "llama-3", JSON.stringify(r.attrs), r.owner);
    db.close();

    const first = await cli(url, "import", "--from", `file:${sourcePath}`, "--batch-size", "2");
    expect(first.out).toContain("copied 4, skipped 0 (already present), invalid 1");
    expect(first.out).toMatch(/invalid resp-broken: Invalid response/);
    expect(first.code).toBe(1);
    const second = await cli(url, "import", "--from", `file:${sourcePath}`);
    expect(second.out).toContain("copied 0, skipped 4 (already present), invalid 1");

    const store = await stores.open();
    expect(await listAllIds(store, { user: { principal: "alice" } })).toEqual([
      "resp-public-null",
      "resp-public-empty",
      "resp-alice-2",
      "resp-alice",
    ]);
    expect(await listAllIds(store)).toEqual(["resp-public-null", "resp-public-empty"]);
    const alices = await store.getResponseObject("resp-alice", { user: { principal: "alice" } });
    expect(alices.messages).toEqual([{ role: "user", content: "hi", name: null }]);
    expect((await store.getResponseObject("resp-public-empty")).messages).toBeUndefined();
    const turn2 = llamaRows()[1]!.blob as { input: unknown[]; messages: unknown[] };
    expect(await store.getResponseObject("resp-alice-2", { user: { principal: "alice" } })).toEqual(turn2);
    expect(await storedRow("sqlite", url, "resp-alice-2")).toMatchObject({
      parentId: "resp-alice",
      stored: { input: [turn2.input.at(-1)], messages: [turn2.messages.at(-1)] },
    });
  });

  const pgProvider = PROVIDERS.find((p) => p.name === "postgresql");
  test.skipIf(!pgProvider)("import reads a llama-stack PostgreSQL table", async () => {
    const source = await freshDatabase(pgProvider!);
    try {
      const client = new pg.Client({ connectionString: source.url });
      await client.connect();
      await client.query(
        `CREATE TABLE openai_responses (id VARCHAR PRIMARY KEY, created_at INTEGER, response_object JSON, model VARCHAR, access_attributes JSON, owner_principal VARCHAR)`,
      );
      for (const r of llamaRows()) {
        await client.query(`INSERT INTO openai_responses VALUES ($1, $2, $3, $4, $5, $6)`, [
          r.id,
          1_759_000_000,
          JSON.stringify(r.blob),
          "llama-3",
          JSON.stringify(r.attrs),
          r.owner,
        ]);
      }
      await client.end();
      const url = await stores.url();
      expect((await cli(url, "import", "--from", source.url)).out).toContain("copied 4, skipped 0 (already present), invalid 1");
    } finally {
      await source.drop();
    }
  });

  test.skipIf(!pgProvider)("migrate and serve take ?schema= and DIRECT_URL as the library does", async () => {
    const db = await freshDatabase(pgProvider!);
    try {
      const url = `${db.url}?schema=cli_app`;
      expect((await cli(url, "--direct-url", url, "migrate", "deploy")).out).toContain("Applied 20261124000000_init");
      expect(await cli(url, "migrate", "status")).toMatchObject({ code: 0, out: expect.stringContaining("(schema cli_app)") });
      const tables = await pgQuery(db.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'cli_app' ORDER BY 1`);
      expect(tables.map((t) => t.table_name)).toEqual(STORE_TABLES);
      const served = await startServe(url, "--user-header", "x-user", "--demo");
      const page = (await (await runPrintedCurl(served.output())).json()) as { data: unknown[] };
      expect(page.data).toHaveLength(5);
      expect(await served.stop()).toBe(0);
    } finally {
      await db.drop();
    }
  });

  test("prune deletes old responses of every owner (or one user's), stats counts by model", async () => {
    const url = await stores.url();
    const store = await createResponsesStore({ url, logger: silentLogger });
    const now = Math.floor(Date.now() / 1000);
    const owners = [{ principal: "alice" }, { principal: "bob" }, null];
    for (let i = 0; i < 30; i++) {
      await store.storeResponseObject(makeResponse({ id: `old_${i}`, created_at: now - 40 * 86_400, model: i % 2 ? "a" : "b" }), [], [], {
        user: owners[i % 3],
      });
    }
    await store.storeResponseObject(makeResponse({ id: "new_1", created_at: now, model: "a" }), []);
    await store.storeResponseObject(makeResponse({ id: "new_alice", created_at: now, model: "a" }), [], [], { user: owners[0] });
    await store.shutdown();

    const stats = JSON.parse((await cli(url, "stats", "--json")).out) as {
      rows: number;
      byModel: { model: string; rows: number; bytes: number }[];
    };
    expect(stats.rows).toBe(32);
    expect(stats.byModel.map((m) => [m.model, m.rows])).toEqual([
      ["a", 17],
      ["b", 15],
    ]);
    expect(stats.byModel.every((m) => m.bytes > 0)).toBe(true);

    expect((await cli(url, "prune", "--older-than", "30d", "--dry-run")).out).toMatch(
      /^would delete 30 response\(s\) created before \S+, of 32; nothing was deleted/,
    );
    expect((await cli(url, "prune", "--older-than", "30d", "--user", "alice", "--batch-size", "3")).out).toContain(
      "deleted 10 response(s)",
    );
    expect((await cli(url, "prune", "--older-than", "30d", "--batch-size", "7")).out).toContain("deleted 20 response(s)");
    expect((await cli(url, "prune", "--older-than", "30d")).out).toContain("deleted 0 response(s)");
    expect((await cli(url, "stats")).out).toContain("2 response(s)");
    expect(await cli(url, "prune", "--older-than", "soon")).toMatchObject({ code: 1, out: expect.stringContaining("Invalid duration") });
  });

  test("prune refuses what is more often a typo than a wish: under an hour, or every response, unless --force", async () => {
    const url = await stores.url();
    const store = await createResponsesStore({ url, logger: silentLogger });
    const now = Math.floor(Date.now() / 1000);
    for (const [id, age] of [
      ["resp_old", 40 * 86_400],
      ["resp_hour", 7200],
      ["resp_now", 0],
    ] as const)
      await store.storeResponseObject(makeResponse({ id, created_at: now - age }), []);
    await store.shutdown();
    for (const typo of ["0d", "1s", "59m"])
      expect(await cli(url, "prune", "--older-than", typo)).toMatchObject({
        code: 2,
        out: expect.stringContaining("Refusing to prune: --older-than is under an hour"),
      });
    expect((await cli(url, "stats")).out).toContain("3 response(s)");
    expect(await cli(url, "prune", "--older-than", "0d", "--force", "--dry-run")).toMatchObject({
      code: 0,
      out: expect.stringContaining("would delete 3 response(s)"),
    });
    expect((await cli(url, "stats")).out).toContain("3 response(s)");
    expect((await cli(url, "prune", "--older-than", "1h")).out).toContain("deleted 2 response(s)");
    expect(await cli(url, "prune", "--older-than", "1h")).toMatchObject({ code: 0, out: expect.stringContaining("deleted 0 response(s)") });
    const store2 = await createResponsesStore({ url, logger: silentLogger });
    await store2.storeResponseObject(makeResponse({ id: "resp_old2", created_at: now - 40 * 86_400 }), []);
    await store2.deleteResponseObject("resp_now");
    await store2.shutdown();
    // Only old ones are left: deleting them all needs --force.
    expect(await cli(url, "prune", "--older-than", "30d")).toMatchObject({
      code: 2,
      out: expect.stringContaining("it would delete every response (1)"),
    });
    expect((await cli(url, "prune", "--older-than", "30d", "--force")).out).toContain("deleted 1 response(s)");
  });

  test("compact finds nothing to do in rows this release stored, with or without the write queue", async () => {
    const url = await stores.url();
    for (const enabled of [false, true]) {
      const store = await createResponsesStore({ url, logger: silentLogger, queue: { enabled } });
      await store.storeResponseObject(makeResponse({ id: `resp_new_${enabled}` }), [{ role: "user", content: "hi" }]);
      await store.shutdown();
    }
    expect(await cli(url, "compact")).toMatchObject({ code: 0, out: expect.stringContaining("compacted 0 response(s)") });
    expect(await storedRow("sqlite", url, "resp_new_true")).toMatchObject({ inputCount: 1 });
  });

  test("compact rewrites an earlier release's conversations into linear storage, and again does nothing", async () => {
    const url = await stores.url();
    await createResponsesStore({ url, logger: silentLogger }).then((s) => s.shutdown()); // migrated
    const turns = chainTurns("resp_", 12);
    await insertLegacyRows(
      "sqlite",
      url,
      turns.map((t) => ({ ...t, user: alice })),
    );
    const first = await cli(url, "compact", "--batch-size", "5");
    expect(first).toMatchObject({
      code: 0,
      out: expect.stringMatching(/compacted 12 response\(s\), 11 now continue their parent; stored [\d.]+ MB -> [\d.]+ MB/),
    });
    expect((await cli(url, "compact")).out).toContain("compacted 0 response(s)");
    expect((await cli(url, "stats")).out).toMatch(/12 response\(s\), \d+ bytes returned, \d+ bytes stored/);
    const store = await createResponsesStore({ url, logger: silentLogger });
    try {
      for (const t of turns)
        expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
          ...t.response,
          input: t.input,
          messages: t.messages,
        });
    } finally {
      await store.shutdown();
    }
  });

  /** Starts `serve` on a free port; resolves with the child, its origin and what it printed so far. */
  async function startServe(url: string, ...args: string[]) {
    return served(
      spawn(process.execPath, ["--import", "tsx", MAIN, "--url", url, "serve", "--port", "0", ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
  }

  /** A serve process, once it prints where it listens; `stop` sends SIGTERM and resolves with its exit code. */
  async function served(child: ReturnType<typeof spawn>) {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const origin = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /on (http:\/\/[\d.]+:\d+)\/v1/.exec(out);
        if (m && /Try: curl .*\n/.test(out)) (clearInterval(timer), resolve(m[1]!));
        if (child.exitCode !== null) (clearInterval(timer), reject(new Error(out)));
      }, 50);
    });
    const stop = async () => {
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      child.kill("SIGTERM");
      return exited;
    };
    return { origin, output: () => out, stop };
  }

  /** Runs the curl line serve printed (as fetch: its headers and URL). */
  async function runPrintedCurl(out: string) {
    const line = /Try: curl -s(?: -H '([^:]+): ([^']+)')? '([^']+)'/.exec(out);
    expect(line, out).not.toBeNull();
    const [, header, value, target] = line!;
    return fetch(target!, { headers: header ? { [header]: value! } : {} });
  }

  test("serve on a port in use says so in one line and exits 1", async () => {
    const db = await freshDatabase({ name: "sqlite", label: "SQLite" });
    const url = db.url;
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = taken.address() as { port: number };
      const { code, out } = await cli(url, "serve", "--port", String(port));
      expect(code).toBe(1);
      expect(out).toContain(`Cannot serve: port ${port} on 127.0.0.1 is in use`);
      expect(out).not.toMatch(/\n\s+at /); // no stack
    } finally {
      taken.close();
      await db.drop();
    }
  });

  test("serve on a new database with --demo: the printed curl line shows the stored responses", async () => {
    const url = await stores.url();
    const served = await startServe(url, "--user-header", "x-user", "--demo");
    expect(served.output()).toContain("Stored 6 demo responses");
    expect(served.output()).toContain("6 stored responses, by owner: alice: 5, bob: 1.");
    const page = (await (await runPrintedCurl(served.output())).json()) as { data: { id: string }[] };
    expect(page.data.map((r) => r.id)).toEqual([
      "resp_demo_alice_5",
      "resp_demo_alice_4",
      "resp_demo_alice_3",
      "resp_demo_alice_2",
      "resp_demo_alice_1",
    ]);
    expect(await served.stop()).toBe(0);
    // A second start finds rows and stores no more samples.
    const again = await startServe(url, "--user-header", "x-user", "--demo");
    expect(again.output()).not.toContain("Stored 6 demo");
    expect(await again.stop()).toBe(0);
  });

  test("serve says how to see rows it cannot show, and what to do on an empty database", async () => {
    const url = await stores.url();
    const empty = await startServe(url);
    expect(empty.output()).toContain("The database holds no responses yet");
    expect(await empty.stop()).toBe(0);
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_owned" }), [], [], { user: { principal: "carol" } });
    const owned = await startServe(url);
    expect(owned.output()).toContain("1 stored responses, by owner: carol: 1; 0 visible without a user.");
    expect(owned.output()).toContain("restart with --user-header x-user");
    expect(await owned.stop()).toBe(0);
  });

  test("SIGTERM to `npm run serve` stops the server too, not only npm and its shell", { timeout: 60_000 }, async () => {
    const url = await stores.url();
    // A process group of its own: whatever is left if the test fails goes with it.
    const child = spawn("npm", ["run", "serve", "--", "--port", "0"], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const npm = await served(child);
      expect((await fetch(`${npm.origin}/v1/responses`)).status).toBe(200);
      await npm.stop();
      // npm passes the signal to the script's shell, which does not pass it on: serve sees its parent go, and stops.
      const deadline = Date.now() + 10_000;
      while (
        await fetch(`${npm.origin}/v1/responses`).then(
          () => true,
          () => false,
        )
      ) {
        expect(Date.now(), "serve still answers 10 s after npm stopped").toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // the group is gone already: nothing was left
      }
    }
  });

  test("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { version: string };
    expect((await cli(await stores.url(), "--version")).out.trim()).toBe(version);
  });

  test("serve answers the API and stops cleanly on SIGTERM", async () => {
    const url = await stores.url();
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_served" }), [], [], { user: { principal: "alice" } });
    const served = await startServe(url, "--user-header", "X-User");
    expect(served.output()).toContain("Try: curl -s -H 'x-user: alice'");
    const asAlice = await fetch(`${served.origin}/v1/responses/resp_served`, { headers: { "x-user": "alice" } });
    expect(asAlice.status).toBe(200);
    expect((await fetch(`${served.origin}/v1/responses/resp_served`)).status).toBe(404);
    expect(await served.stop()).toBe(0);
  });
});
