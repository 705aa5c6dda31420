#!/usr/bin/env node
// CI: the package as a user installs it. Packs it (npm run pack:local), then:
// - consumers: fresh projects in temporary folders install the tarball from scratch and compile
//   strict TypeScript against it with the `openai` SDK's types: an ESM project (declarations
//   checked, no skipLibCheck) and a NestJS project compiled to CommonJS and to node16; each
//   stores, gets and lists;
// - examples: examples/nest and examples/nextjs install from their committed lockfiles (npm ci),
//   build, start, and answer their routes, 404 for an unknown one.
// Every process it starts is stopped, also when a step fails.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tarball = join(root, "examples", "openai-responses-store.tgz");
const running = new Set();
const scratch = [];

function run(cwd, command, args, env = {}) {
  console.log(`\n$ (${cwd.replace(root, ".")}) ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd, stdio: "inherit", env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status ?? result.signal}`);
}

function temporary(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a server, waits until `url` answers (at most 60 s), and returns a stop function. */
async function start(cwd, command, args, url, env) {
  console.log(`\n$ (${cwd.replace(root, ".")}) ${command} ${args.join(" ")} &`);
  const child = spawn(command, args, { cwd, stdio: "inherit", env: { ...process.env, ...env } });
  running.add(child);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 250))]);
    if (early !== undefined) throw new Error(`${command} ${args.join(" ")} exited ${early} before answering`);
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 60 s`);
  }
  return async () => {
    child.kill("SIGTERM");
    const how = await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running"), 10_000))]);
    running.delete(child);
    if (how === "still running") {
      child.kill("SIGKILL");
      throw new Error(`${command} did not stop within 10 s of SIGTERM`);
    }
  };
}

async function expectStatus(url, status, check = () => true) {
  const response = await fetch(url);
  const body = await response.json().catch(() => undefined);
  if (response.status !== status || !check(body)) {
    throw new Error(`GET ${url}: expected ${status}, got ${response.status} ${JSON.stringify(body)}`);
  }
  console.log(`GET ${url} -> ${status}`);
}

async function consumers() {
  const esm = temporary("ors-consumer-esm-");
  cpSync(join(root, "test", "consumers", "esm"), esm, { recursive: true });
  run(esm, "npm", ["install", "--no-audit", "--no-fund", tarball, "openai@^7", "typescript@~5.9", "@types/node@^20"]);
  run(esm, "npx", ["tsc", "-p", "tsconfig.json"]);
  run(esm, "node", ["dist/check.js"], { DATABASE_URL: `file:${join(esm, "check.db")}` });

  const nest = temporary("ors-consumer-nest-");
  cpSync(join(root, "test", "consumers", "nest"), nest, { recursive: true });
  const nestPackages = ["@nestjs/common@^11", "@nestjs/core@^11", "reflect-metadata", "rxjs"];
  run(nest, "npm", ["install", "--no-audit", "--no-fund", tarball, ...nestPackages, "openai@^7", "typescript@~5.9", "@types/node@^20"]);
  for (const [config, out] of [
    ["tsconfig.json", "dist"],
    ["tsconfig.node16.json", "dist-node16"],
  ]) {
    run(nest, "npx", ["tsc", "-p", config]);
    run(nest, "node", [`${out}/check.js`], { DATABASE_URL: `file:${join(nest, `${out}.db`)}` });
  }
}

async function examples() {
  const nest = join(root, "examples", "nest");
  run(nest, "npm", ["ci", "--no-audit", "--no-fund"]);
  for (const [build, main] of [
    ["build", "dist/main.js"],
    ["build:node16", "dist-node16/main.js"],
  ]) {
    run(nest, "npm", ["run", build]);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const data = temporary("ors-example-nest-");
    const stop = await start(nest, "node", [main], `${origin}/history`, {
      PORT: String(port),
      DATABASE_URL: `file:${join(data, "db.sqlite")}`,
    });
    try {
      await expectStatus(`${origin}/history`, 200, (body) => body?.object === "list");
      await expectStatus(`${origin}/history/resp_missing`, 404, (body) => body?.error?.code === "response_not_found");
      await expectStatus(`${origin}/no/such/route`, 404);
    } finally {
      await stop();
    }
  }

  const next = join(root, "examples", "nextjs");
  run(next, "npm", ["ci", "--no-audit", "--no-fund"]);
  run(next, "npm", ["run", "build"], { NEXT_TELEMETRY_DISABLED: "1" });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const data = temporary("ors-example-next-");
  const nextBin = join(next, "node_modules", "next", "dist", "bin", "next");
  const stop = await start(next, "node", [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], `${origin}/v1/responses`, {
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: `file:${join(data, "db.sqlite")}`,
  });
  try {
    await expectStatus(`${origin}/v1/responses`, 200, (body) => body?.object === "list");
    await expectStatus(`${origin}/v1/responses/resp_missing`, 404, (body) => body?.error?.code === "response_not_found");
    await expectStatus(`${origin}/no/such/route`, 404);
  } finally {
    await stop();
  }
}

const stopAll = () => {
  for (const child of running) child.kill("SIGKILL");
};
process.on("exit", stopAll);
try {
  run(root, "npm", ["run", "pack:local"]);
  const only = process.argv[2];
  if (!only || only === "consumers") await consumers();
  if (!only || only === "examples") await examples();
  console.log("\nconsumers and examples: ok");
} catch (error) {
  console.error(`\nconsumers and examples: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  stopAll();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}
