// SQLite keeps the direct write path, with WAL and a busy timeout, so writers in several
// processes at once never fail with "database is locked".
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { createResponsesStore } from "../../src/index.js";
import { sqlitePath } from "../../src/db/providers.js";
import { listAllIds, silentLogger } from "../support/fixtures.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "ors-multi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SQLite with writers in several processes", () => {
  test("three processes storing at once all succeed, in WAL mode, with no queue", { timeout: 120_000 }, async () => {
    const url = `file:${join(dir, "shared.db")}`;
    const store = await createResponsesStore({ url, logger: silentLogger });
    expect(store.stats()).toBeUndefined(); // the queue is off on SQLite
    const writer = join(import.meta.dirname, "..", "support", "sqlite-writer.ts");
    const results = await Promise.allSettled(
      ["p1", "p2", "p3"].map((prefix) => run(process.execPath, ["--import", "tsx", writer, url, prefix, "150"], { cwd: process.cwd() })),
    );
    for (const r of results) expect(r.status, r.status === "rejected" ? String(r.reason) : "").toBe("fulfilled");
    expect(await listAllIds(store)).toHaveLength(450);
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(sqlitePath(url), { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    await store.shutdown();
  });
});
