#!/usr/bin/env node
// `npm run pack:local`: builds and packs the package as npm publishes it, into
// examples/openai-responses-store.tgz, the tarball the example apps and the consumer checks
// install, so they run what a user's `npm install` gets rather than a link to this checkout.
import { execFileSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "ors-pack-"));
execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
// Built just now; prepare would generate the test clients and build again.
const pack = ["pack", "--json", "--ignore-scripts", "--pack-destination", out];
const [packed] = JSON.parse(execFileSync("npm", pack, { cwd: root, encoding: "utf8" }));
const target = join(root, "examples", "openai-responses-store.tgz");
renameSync(join(out, packed.filename), target);
rmSync(out, { recursive: true, force: true });
console.log(`packed ${packed.entryCount} files (${(packed.size / 1024).toFixed(0)} kB) into examples/openai-responses-store.tgz`);
