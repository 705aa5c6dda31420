#!/usr/bin/env node
// `npm run studio`: opens Prisma Studio on the store's database (DATABASE_URL, else
// file:./responses.db), with the schema of its provider. Extra arguments go to Prisma
// (e.g. `npm run studio -- --port 5556 --browser none`).
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runPrisma } from "./prisma.mjs";

const url = process.env.DATABASE_URL || "file:./responses.db";
const scheme = url.split(":")[0].toLowerCase();
const provider = scheme === "file" ? "sqlite" : scheme.startsWith("postgres") ? "postgresql" : "mysql";
let studioUrl = url;
if (provider === "sqlite") {
  let path = url.replace(/^file:(\/\/)?/i, "").split("?")[0];
  if (!isAbsolute(path)) path = resolve(process.cwd(), path);
  if (!existsSync(path)) {
    console.error(`No SQLite database at ${path} yet: run \`npm run demo\` (or your app) first.`);
    process.exit(1);
  }
  studioUrl = pathToFileURL(path).href; // Studio wants file:///absolute/path
}
process.exit(runPrisma(["studio", "--url", studioUrl, ...process.argv.slice(2)]));
