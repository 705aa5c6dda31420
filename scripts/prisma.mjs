#!/usr/bin/env node
// Runs the Prisma CLI with the given arguments. Where Prisma's native schema engine was never
// downloaded (a machine that cannot reach Prisma's binary host), it points
// PRISMA_SCHEMA_ENGINE_BINARY at a stub, so that `generate`, `validate`, `format` and `studio`
// still work; `migrate`/`db` then fail with a clear message pointing at our own runner.
// On a connected machine it is a plain passthrough.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The environment for the Prisma CLI: the engine stub only where no engine is installed. */
export function prismaEnv(env = process.env) {
  if (env.PRISMA_SCHEMA_ENGINE_BINARY) return env;
  let enginesDir;
  try {
    enginesDir = dirname(require.resolve("@prisma/engines/package.json"));
  } catch {
    return env;
  }
  const hasEngine = readdirSync(enginesDir).some((f) => f.startsWith("schema-engine"));
  return hasEngine ? env : { ...env, PRISMA_SCHEMA_ENGINE_BINARY: join(here, "schema-engine-unavailable.sh") };
}

/** Runs the Prisma CLI synchronously and returns its exit status. */
export function runPrisma(args, options = {}) {
  const cli = require.resolve("prisma/build/index.js");
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: "inherit", env: prismaEnv(), ...options });
  return result.status ?? 1;
}

/**
 * Starts the Prisma CLI as a child that stops with this process: SIGINT, SIGTERM and SIGHUP
 * sent to this process (by npm, a terminal or a test) are passed on, and this process exits
 * with the child's status once it has stopped.
 */
export function spawnPrisma(args, options = {}) {
  const cli = require.resolve("prisma/build/index.js");
  const child = spawn(process.execPath, [cli, ...args], { stdio: "inherit", env: prismaEnv(), ...options });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
  // npm passes SIGTERM to the shell running the script, which exits without passing it on: when
  // this process is re-parented, its parent is gone, and Studio stops too.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && child.kill("SIGTERM"), 500).unref();
  return child;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  spawnPrisma(process.argv.slice(2));
}
