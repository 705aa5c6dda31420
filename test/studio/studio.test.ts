// `npm run studio` opens Prisma Studio on the store's SQLite file, offline; headless Chromium
// (Debian's package, driven by playwright-core) finds the openai_responses table and a stored
// row in it. The screenshot lands in test-output/studio.png.
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
  afterAll(() => void studio?.kill("SIGTERM"));

  test("shows the openai_responses table and a stored row", { timeout: 120_000 }, async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_studio_visible", model: "gpt-studio" }), []);
    const url = await stores.url();
    const port = await freePort();
    studio = spawn(process.execPath, [join(ROOT, "scripts", "studio.mjs"), "--port", String(port), "--browser", "none"], {
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
        const m = /running at:?\s*(http:\/\/\S+)/i.exec(log);
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
      await page.goto(studioUrl);
      const table = page.getByText("openai_responses", { exact: true }).first();
      await table.waitFor({ timeout: 60_000 });
      await table.click();
      await page.getByText("resp_studio_visible").first().waitFor({ timeout: 60_000 });
      mkdirSync(join(ROOT, "test-output"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "test-output", "studio.png"), fullPage: true });
      await expect(page.getByText("gpt-studio").first().isVisible()).resolves.toBe(true);
      await expect(page.getByText("parent_id", { exact: true }).first().isVisible()).resolves.toBe(true); // linear storage's columns
    } finally {
      await browser.close();
    }
  });
});
