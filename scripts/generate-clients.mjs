#!/usr/bin/env node
// Generates one Prisma client per provider into src/db/generated/<provider>. Runs on
// `npm install`/`npm ci` in this repository. In an installed copy of the package (no src/,
// the clients are compiled into dist/) there is nothing to generate, so it does nothing.
// With --if-missing (lint and typecheck, which read the clients' types) it generates only the
// clients that are not there, as after an install that ran no scripts.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPrisma } from "./prisma.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const providers = ["sqlite", "postgresql", "mysql"];

const ifMissing = process.argv.includes("--if-missing");

if (!existsSync(join(root, "src"))) process.exit(0);
for (const provider of providers) {
  if (ifMissing && existsSync(join(root, "src", "db", "generated", provider, "client.ts"))) continue;
  const status = runPrisma(["generate", "--schema", join("prisma", provider, "schema.prisma")], { cwd: root });
  if (status !== 0) {
    console.error(`prisma generate failed for ${provider} (exit ${status})`);
    process.exit(status);
  }
}
