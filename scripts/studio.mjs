#!/usr/bin/env node
// `npm run studio`: opens Prisma Studio on the store's database (DATABASE_URL, else
// file:./responses.db), with the schema of its provider, on the openai_responses table with
// its readable columns (id, created_at, model, owner_principal, parent_id) pinned first.
// Extra arguments go to Prisma (e.g. `npm run studio -- --port 5556 --browser none`). Studio
// stops with this process: SIGINT and SIGTERM (from npm, a terminal, a test) reach it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnPrisma } from "./prisma.mjs";

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

// Studio opens on its first table by name (conversation_messages) with columns by name; the
// address below selects the responses table and pins what identifies a row. Studio is told
// not to open a browser, and this script opens one on that address instead (unless --browser
// was given: then Studio does as asked).
const args = process.argv.slice(2);
const ownBrowser = !args.includes("--browser");
const TABLE = "#view=table&table=openai_responses&pin=id,created_at,model,owner_principal,parent_id";
const child = spawnPrisma(["studio", "--url", studioUrl, ...(ownBrowser ? ["--browser", "none"] : []), ...args], {
  stdio: ["inherit", "pipe", "inherit"],
});
let announced = false;
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  const running = !announced && /running at:?\s*(http:\/\/\S+)/i.exec(String(chunk));
  if (!running) return;
  announced = true;
  const address = `${running[1].replace(/\/$/, "")}/${TABLE}`;
  console.log(`The responses table: ${address}`);
  if (!ownBrowser) return;
  const opener =
    process.platform === "darwin"
      ? ["open", [address]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", address]]
        : ["xdg-open", [address]];
  execFile(opener[0], opener[1], () => {}); // no opener (a server, CI): the address above is printed
});
