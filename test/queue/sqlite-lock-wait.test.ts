// SQLite waits for another process's write lock off the event loop: while a second process holds
// the lock, a store's write waits (the event loop keeps turning: timers fire throughout), then
// commits once the lock is released; held past the wait limit, the write fails with a retryable
// StorageError instead of stalling the process.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { createResponsesStore, type ResponsesStore } from "../../src/index.js";
import { sqlitePath } from "../../src/db/providers.js";
import { makeResponse, silentLogger } from "../support/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "ors-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let holder: ChildProcess | undefined;
afterEach(() => {
  holder?.kill("SIGKILL");
  holder = undefined;
});

/** Another process that takes the file's write lock and keeps it `ms` milliseconds. */
async function holdWriteLock(path: string, ms: number): Promise<void> {
  const script = `const D = require("better-sqlite3"); const db = new D(${JSON.stringify(path)}); db.prepare("BEGIN IMMEDIATE").run(); process.stdout.write("locked\\n"); setTimeout(() => { db.prepare("COMMIT").run(); db.close(); process.exit(0); }, ${ms});`;
  holder = spawn(process.execPath, ["-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    holder!.once("exit", (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
}

/** Counts timer ticks while `work` runs: a stalled event loop counts almost none. */
async function ticksDuring(work: Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  try {
    await work.catch(() => {});
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

/** Runs `fn` with a store on a new SQLite file of this suite's folder, shut down after. */
async function onFile(name: string, fn: (store: ResponsesStore, path: string) => Promise<void>): Promise<void> {
  const url = `file:${join(dir, name)}`;
  const store = await createResponsesStore({ url, logger: silentLogger });
  try {
    await fn(store, sqlitePath(url));
  } finally {
    await store.shutdown();
  }
}

describe("SQLite with the write lock held by another process", () => {
  test("a write waits with the event loop turning, then commits when the lock is released", { timeout: 60_000 }, async () => {
    await onFile("wait.db", async (store, path) => {
      await holdWriteLock(path, 1500);
      const write = store.storeResponseObject(makeResponse({ id: "resp_waited" }), []);
      // Over about 1.5 s of waiting, a 20 ms timer fires dozens of times unless the loop is stalled.
      expect(await ticksDuring(write)).toBeGreaterThan(20);
      await write;
      expect(await store.getResponseObject("resp_waited")).toMatchObject({ id: "resp_waited" });
    });
  });

  test("held past the wait limit, the write fails with a retryable StorageError and nothing is written", { timeout: 60_000 }, async () => {
    await onFile("fail.db", async (store, path) => {
      await holdWriteLock(path, 15_000);
      const write = store.storeResponseObject(makeResponse({ id: "resp_refused" }), []);
      expect(await ticksDuring(write)).toBeGreaterThan(20);
      await expect(write).rejects.toMatchObject({ code: "STORAGE_FAILED", retryable: true });
      holder?.kill("SIGKILL");
      await expect(store.getResponseObject("resp_refused")).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
    });
  });
});
