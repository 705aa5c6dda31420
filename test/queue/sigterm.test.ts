// shutdownOnSignals: on SIGTERM a server drains every queued write before it exits.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { PROVIDERS } from "../support/databases.js";
import { listAllIds, storeFactory } from "../support/fixtures.js";

const run = promisify(execFile);

describe.each(PROVIDERS)("SIGTERM on $label", (provider) => {
  const stores = storeFactory(provider);

  test("queued, unawaited writes are all committed before the process exits 0", { timeout: 60_000 }, async () => {
    const url = await stores.url();
    const script = join(import.meta.dirname, "..", "support", "sigterm-writer.ts");
    await run(process.execPath, ["--import", "tsx", script, url, "300"]); // rejects on a non-zero exit
    const store = await stores.open({ queue: { enabled: false } });
    expect(await listAllIds(store)).toHaveLength(300);
  });
});
