// `npm run studio` opens Prisma Studio on the store's SQLite file, offline, on the responses
// table with its readable columns first, the conversations tables listed beside it; headless Chromium (Debian's package, driven by
// playwright-core) finds a stored row there. SIGTERM to the script stops Studio too. The
// screenshot lands in test-output/studio.png.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, test } from "vitest";
import { PROVIDERS } from "../support/databases.js";
import { makeResponse, storeFactory } from "../support/fixtures.js";
import { freePort } from "../support/throwaway-postgres.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const ROOT = join(import.meta.dirname, "..", "..");

describe.skipIf(!CHROMIUM)(`Prisma Studio ${CHROMIUM ? "" : "(skipped: install Debian's chromium package)"}`, () => {
  const stores = storeFactory(PROVIDERS[0]!);
  let studio: ChildProcess | undefined;
  // A failed test's Studio: its whole process group (npm, its shell, the script, Prisma). The test
  // itself stops it as a user does, with SIGTERM to npm.
  afterAll(() => {
    if (studio?.pid && studio.exitCode === null) process.kill(-studio.pid, "SIGKILL");
  });

  test("opens on the openai_responses table, readable columns first, and stops with its script", { timeout: 120_000 }, async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_studio_visible", model: "gpt-studio" }), []);
    const url = await stores.url();
    const port = await freePort();
    studio = spawn("npm", ["run", "studio", "--", "--port", String(port), "--browser", "none"], {
      detached: true, // a process group of its own, for afterAll
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    studio.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    studio.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    const studioUrl = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + 60_000;
      const timer = setInterval(() => {
        const m = /The responses table: (http:\/\/\S+)/.exec(log);
        if (m) (clearInterval(timer), resolve(m[1]!));
        else if (studio!.exitCode !== null || Date.now() > deadline)
          (clearInterval(timer), reject(new Error(`Studio did not start:\n${log}`)));
      }, 100);
    });

    const browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      // Studio lists columns by name, each ~200 px wide: wide enough for all 19 of them.
      const page = await browser.newPage({ viewport: { width: 4200, height: 900 } });
      await page.goto(studioUrl); // no click: the address the script prints opens the table
      await page.getByText("resp_studio_visible").first().waitFor({ timeout: 60_000 });
      mkdirSync(join(ROOT, "test-output"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "test-output", "studio.png"), fullPage: true });
      await expect(page.getByText("gpt-studio").first().isVisible()).resolves.toBe(true);
      // The Conversations API's tables are listed too.
      for (const table of ["conversations", "conversation_items"]) {
        await expect(page.getByText(table, { exact: true }).first().isVisible(), table).resolves.toBe(true);
      }
      // Pinned first: the model and owner columns come before the JSON ones, whose names sort first.
      const left = async (name: string) => (await page.getByText(name, { exact: true }).first().boundingBox())!.x;
      expect(await left("model")).toBeLessThan(await left("access_attributes"));
      expect(await left("parent_id")).toBeLessThan(await left("response_object"));
    } finally {
      await browser.close();
    }
    const exited = new Promise((resolve) => studio!.once("exit", resolve));
    studio.kill("SIGTERM");
    await exited;
    // npm passes SIGTERM to the script's shell only; the script sees its parent go and stops
    // Studio: soon nothing answers on Studio's port.
    const deadline = Date.now() + 10_000;
    while (
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      )
    ) {
      expect(Date.now(), "Studio still answers 10 s after npm stopped").toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
